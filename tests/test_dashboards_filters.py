"""Dashboard filters: periods by label or dates, currencies by code or alias, bad input keeps the previous view."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from crm.centres.models import ReportingPeriod
from crm.dashboards.filters import Filters, latest_period, read_filters

PERIODS = [
    ReportingPeriod(label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2026, 4, 30)),
    ReportingPeriod(label="2025-2026", starts_on=date(2025, 3, 1), ends_on=date(2026, 6, 30)),
    ReportingPeriod(label="2027-2028", starts_on=date(2027, 1, 1), ends_on=date(2028, 4, 30)),
]


def read(**args):
    return read_filters(MultiDict(args), default_currency="USD", periods=PERIODS, today=date(2026, 11, 24))


def test_the_default_is_the_latest_period_begun_in_the_default_currency():
    result = read()
    assert result.filters.period == "2025-2026" and result.filters.currency == "USD" and not result.refused
    assert latest_period(PERIODS, date(2024, 1, 1)) == ""


def test_all_dates_on_request():
    filters = read(period="all").filters
    assert filters == Filters(currency="USD") and filters.span == "all dates"
    assert filters.args()["period"] == "all"


def test_a_reporting_period_spans_every_centre_that_uses_its_label():
    filters = read(period="2025-2026", currency="rmb").filters
    assert (filters.starts_on, filters.ends_on, filters.currency) == (date(2025, 1, 1), date(2026, 6, 30), "CNY")
    assert filters.args() == {"currency": "CNY", "rates": "month", "period": "2025-2026"}
    assert filters.span == "2025-2026 (1 January 2025 – 30 June 2026)"


def test_any_dates_override_the_period():
    filters = read(period="2025-2026", **{"from": "2025-07-01", "to": "2025-12-31"}).filters
    assert (filters.starts_on, filters.ends_on, filters.period) == (date(2025, 7, 1), date(2025, 12, 31), "")
    assert filters.args()["from"] == "2025-07-01"


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"currency": "XYZ"}, "currency", "not a current ISO 4217 currency code"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to", "before it starts"),
        ({"from": "31/01/2025"}, "from", "is not a date"),
        ({"to": "9999-12-31"}, "to", "outside the dates the records cover"),
        ({"from": "0001-01-01"}, "from", "(1900–2199)"),
        ({"period": "1999"}, "period", "no reporting period"),
        ({"rates": "magic"}, "rates", "not a way of converting"),
    ],
)
def test_bad_input_keeps_the_previous_view_with_a_message(args, field, words):
    previous = {"was_currency": "CNY", "was_period": "2025-2026", "was_rates": "un"}
    result = read(**args, **previous)
    assert result.refused and words in result.error_for(field)
    assert result.filters.currency == "CNY" and result.filters.period == "2025-2026" and result.filters.rates == "un"
    assert result.submitted[field] == args[field]


def test_bad_input_without_a_previous_view_falls_back_to_the_defaults():
    result = read(currency="nope", was_currency="also bad")
    assert result.refused and result.filters == read().filters


def test_the_form_shows_the_refused_input_and_otherwise_the_view():
    refused = read(currency="XYZ", was_period="2025-2026")
    assert refused.shown("currency") == "XYZ" and refused.shown("period") == "2025-2026"
    custom = read(**{"from": "2025-07-01", "to": "2025-12-31"})
    assert custom.shown("period") == "" and custom.shown("from") == "2025-07-01"
