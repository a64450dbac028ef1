"""Server-side SVG charts: well-formed, titled, labelled, valued, and free of inline styles (CSP)."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from crm.dashboards.charts import Series, bar_chart, column_chart, compact, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def test_compact_labels():
    assert compact(950) == "950"
    assert compact(Decimal("1234567")) == "1.23M"
    assert compact(Decimal("900000")) == "900k"
    assert compact(Decimal("2500000000")) == "2.5B"
    assert compact(Decimal("12.5")) == "12.50"


@pytest.mark.parametrize(
    ("value", "whole", "expected"),
    [(0, False, 1), (3, True, 5), (7, True, 10), (11, False, 20), (240, False, 250), (900000, False, 1000000)],
)
def test_axis_ends_read_well(value, whole, expected):
    assert nice_ceiling(value, whole=whole) == expected


def test_bar_chart_has_title_axis_labels_and_values():
    root = parse(
        bar_chart(
            "Partnerships by type",
            ["Research institutes and universities", "NGOs"],
            [6, 2],
            value_axis="Partnerships",
            category_axis="Organisation type",
        )
    )
    assert root.find(f"{SVG}title").text == "Partnerships by type"
    labels = texts(root)
    assert "Partnerships" in labels and "Organisation type" in labels
    assert "6" in labels and "2" in labels
    assert len(root.findall(f"{SVG}rect")) == 2
    # Counts get whole-number ticks only.
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "2", "4", "6", "8", "10"]


def test_bars_are_proportional():
    root = parse(bar_chart("T", ["a", "b"], [Decimal(50), Decimal(100)], value_axis="v", category_axis="c"))
    widths = [float(r.get("width")) for r in root.findall(f"{SVG}rect")]
    assert widths[1] == pytest.approx(2 * widths[0])


def test_no_inline_styles_and_text_is_escaped():
    markup = str(
        column_chart(
            '<script>alert("x")</script>',
            ["Q1 & Q2"],
            [Series("Pledged <b>", [Decimal(1)])],
            value_axis="CNY",
            category_axis="Quarter",
        )
    )
    assert "style=" not in markup and "<script>" not in markup
    root = parse(markup)
    assert "Q1 & Q2" in texts(root)


def test_stacked_columns_show_their_totals():
    root = parse(
        column_chart(
            "Resources by quarter",
            ["2025 Q1", "2025 Q2"],
            [Series("Pledged", [Decimal(100), Decimal(0)]), Series("Received", [Decimal(50), Decimal(30)])],
            value_axis="CNY",
            category_axis="Quarter",
            stacked=True,
        )
    )
    labels = texts(root)
    assert "150" in labels and "30" in labels
    assert "Pledged" in labels and "Received" in labels  # legend


def test_grouped_columns_label_each_value():
    root = parse(
        column_chart(
            "Pipeline",
            ["NIES", "CA"],
            [Series("Requested", [10, 4]), Series("Awarded", [3, 0])],
            value_axis="Proposals",
            category_axis="Centre",
        )
    )
    values = [t.text for t in root.iter(f"{SVG}text") if "value" in (t.get("class") or "")]
    assert values == ["10", "3", "4"]  # a zero is drawn as no bar and no label


def test_empty_charts_say_so():
    assert "No data" in texts(parse(bar_chart("Empty", [], [], value_axis="v", category_axis="c")))
    assert "No data" in texts(parse(column_chart("Empty", [], [], value_axis="v", category_axis="c")))


def test_mismatched_series_are_refused():
    with pytest.raises(ValueError):
        column_chart("T", ["a", "b"], [Series("s", [1])], value_axis="v", category_axis="c")
    with pytest.raises(ValueError):
        bar_chart("T", ["a"], [1, 2], value_axis="v", category_axis="c")
