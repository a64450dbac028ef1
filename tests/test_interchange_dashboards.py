"""The dashboards' tables downloaded as CSV and XLSX: the page's figures, with the page's filters."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import html
from openpyxl import load_workbook

from bench.generate import Scale, generate
from crm.auth.models import Role
from crm.centres.services import centre_by_code
from crm.dashboards.summary import MEASURES
from crm.money import Money
from crm.money.display import format_money

FILTERS = "period=all&currency=USD&rates=month"


@pytest.fixture
def network(make):
    generated = generate(
        Scale(centres=3, organisations=60, proposals=200, entries=600, experts=20, partnerships_per_centre=25)
    )
    return generated.centre_codes


def text_of(cell) -> str:
    """What a table cell shows as its figure: a converted total's value, else the cell's text."""
    value = cell.xpath('.//span[@class="value"]')
    shown = (value[0] if value else cell).text_content()
    return " ".join(shown.split())


def page_table(page: str, caption: str) -> list[list[str]]:
    """The rows (head and foot included) of the page's table with ``caption``, as shown."""
    (table,) = html.fromstring(page).xpath(f'//table[caption[contains(., "{caption}")]]')
    return [[text_of(cell) for cell in row.xpath("./th|./td")] for row in table.xpath(".//tr")]


def download_link(page: str, table: str, fmt: str) -> str:
    (link,) = html.fromstring(page).xpath(f'//a[contains(@href, "/{table}.{fmt}")]/@href')
    return link


def xlsx_rows(content: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def shown(value, currency: str) -> str:
    """An exported value as the page writes it: amounts in the page's money format, counts as they are."""
    if value is None:
        return "—"
    if isinstance(value, int | float | Decimal) and currency:
        return " ".join(format_money(Money(Decimal(str(value)), currency)).split())
    return str(value)


def test_the_network_per_centre_table_downloads_with_the_pages_figures_and_filters(client, login, make, network):
    login(make.user(Role.COORDINATOR))
    page = client.get(f"/dashboards/network?{FILTERS}").get_data(as_text=True)
    link = download_link(page, "centres", "xlsx")
    assert "currency=USD" in link and "period=all" in link and "rates=month" in link
    rows = xlsx_rows(client.get(link).data)
    headers, body = rows[0], rows[1:]
    assert headers[:7] == [
        "Centre",
        "Partnerships",
        "Agreements",
        "Open agreements",
        "Proposals",
        "Expected value",
        "Awarded",
    ]
    assert headers[-3:] == ["Currency", "Not converted", "Rates used"]
    on_page = page_table(page, "Per centre")
    assert [row[0] for row in on_page[1:]] == [row[0] for row in body] == [*sorted(network), "Network"]
    money_columns = {"Expected value", "Awarded", *(m.label for m in MEASURES), "Outstanding"}
    for seen, exported in zip(on_page[1:], body, strict=True):
        values = dict(zip(headers, exported, strict=True))
        assert values["Currency"] == "USD"
        figures = [
            shown(values[h], "USD" if h in money_columns else "")
            for h in headers[1:-3]
            if h not in ("Open agreements",)
        ]
        agreements = f"{values['Agreements']} ({values['Open agreements']})"
        page_figures = [seen[1], seen[2], *seen[3:]]
        assert page_figures == [figures[0], agreements, *figures[2:]], (seen, exported)
    network_row = dict(zip(headers, body[-1], strict=True))
    assert "not converted" in network_row["Not converted"]  # the generated KHR amounts of the second year
    assert "ECB" in network_row["Rates used"] or "UN" in network_row["Rates used"]
    # Amounts are numbers in the page's currency's minor units.
    book = load_workbook(io.BytesIO(client.get(link).data))
    committed = book.worksheets[0].cell(row=2, column=headers.index(MEASURES[1].label) + 1)
    assert isinstance(committed.value, int | float) and committed.number_format == "#,##0.00"


def test_a_centres_money_tables_download_as_csv_and_xlsx_alike(client, login, make, network):
    code = sorted(network)[0]
    login(make.user(Role.STAFF, [centre_by_code(code)]))
    page = client.get(f"/dashboards/centre?centre={code}&{FILTERS}").get_data(as_text=True)
    for table, caption in (("categories", "By category"), ("quarters", "By quarter")):
        on_page = page_table(page, caption)
        exported = xlsx_rows(client.get(download_link(page, table, "xlsx")).data)
        assert exported[0][:5] == on_page[0][:4] + ["Outstanding"]
        for seen, row in zip(on_page[1:], exported[1:], strict=True):
            assert seen[0] == row[0]
            assert seen[1:5] == [shown(value, "USD") for value in row[1:5]], (table, seen, row)
        text = client.get(download_link(page, table, "csv")).get_data(as_text=True)
        lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert [line[0] for line in lines] == [str(row[0]) for row in exported]
        for line, row in zip(lines[1:], exported[1:], strict=True):
            assert [Decimal(v) if v else None for v in line[1:5]] == [
                Decimal(str(v)).quantize(Decimal("0.01")) if v is not None else None for v in row[1:5]
            ]


def test_every_table_of_both_dashboards_downloads(client, login, make, network):
    login(make.user(Role.COORDINATOR))
    pages = {
        "network": f"/dashboards/network?{FILTERS}",
        "centre": f"/dashboards/centre?centre={sorted(network)[0]}&{FILTERS}",
    }
    found = {}
    for which, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        links = html.fromstring(page).xpath('//p[@class="table-downloads"]/a/@href')
        found[which] = {re.search(r"/([a-z-]+)\.(csv|xlsx)\?", link).group(1) for link in links}
        for link in links:
            response = client.get(link)
            content = response.get_data()
            assert response.status_code == 200, link
            assert "period=all" in link and "currency=USD" in link
            if ".xlsx?" in link:
                rows = xlsx_rows(content)
                assert rows and all(header for header in rows[0])
    shared = {"partnerships", "proposals", "categories", "quarters", "experts", "awaiting", "coming-up", "deadlines"}
    shared |= {"stalled", "overdue"}
    assert found["centre"] >= shared and found["network"] >= shared | {"centres", "shared"}


def test_dates_are_dates_and_numbers_numbers(client, login, make, network):
    centre = centre_by_code(sorted(network)[0])
    make.proposal(centre, title='=HYPERLINK("http://evil.example")', deadline_on=date.today() + timedelta(days=30))
    login(make.user(Role.STAFF, [centre]))
    rows = xlsx_rows(client.get(f"/exports/dashboards/centre/deadlines.xlsx?centre={centre.code}&{FILTERS}").data)
    assert rows[0] == ["Centre", "Proposal", "Funder", "Status", "Deadline"]
    mine = next(row for row in rows[1:] if row[1].startswith("=HYPERLINK"))  # text, never a formula
    assert isinstance(mine[4], datetime | date) and mine[4].date() == date.today() + timedelta(days=30)
    text = client.get(f"/exports/dashboards/centre/deadlines.csv?centre={centre.code}&{FILTERS}").get_data(as_text=True)
    assert "'=HYPERLINK" in text
    counts = xlsx_rows(client.get(f"/exports/dashboards/centre/partnerships.xlsx?centre={centre.code}").data)
    assert all(isinstance(value, int) for row in counts[1:] for value in row[1:])


def test_a_table_the_dashboard_does_not_have_is_not_found(client, login, make, network):
    code = sorted(network)[0]
    login(make.user(Role.STAFF, [centre_by_code(code)]))
    assert client.get(f"/exports/dashboards/centre/centres.csv?centre={code}").status_code == 404
    assert client.get(f"/exports/dashboards/centre/nothing.csv?centre={code}").status_code == 404
    assert client.get(f"/exports/dashboards/centre/experts.pdf?centre={code}").status_code == 404
    assert client.get("/exports/dashboards/centre/experts.csv").status_code == 404
    assert client.get("/exports/dashboards/network/centres.csv").status_code == 403
    # Refused filters keep the previous view, as the page does: never a 500.
    refused = client.get(f"/exports/dashboards/centre/experts.csv?centre={code}&from=2026-99-01")
    assert refused.status_code == 200 and refused.get_data(as_text=True).startswith("\ufeffExperts,Number")
