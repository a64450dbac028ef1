"""Dashboards: access, converted totals with their rates and what was not converted, bad filters, links, scale."""

from datetime import date
from decimal import Decimal

import pytest

from bench.generate import Scale, generate
from crm.auth.models import Role
from crm.centres.services import centre_by_code
from crm.dashboards.queries import Scope
from crm.dashboards.summary import build
from crm.dashboards.totals import RatePlan
from crm.funding.models import Category, Stage
from crm.seeding import run_seeds
from tests.statements import statements_of_page


@pytest.fixture
def centre(make):
    centre = make.centre(code="TSCC-DQ", reporting_currency="CNY")
    make.period(centre, label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2026, 4, 30))
    return centre


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_staff_see_their_own_centre_by_default_and_not_the_network(client, make, login, centre):
    login(make.user(Role.STAFF, [centre]))
    assert "TSCC-DQ" in page(client, "/dashboards/centre")
    assert client.get("/dashboards/network").status_code == 403
    other = make.centre(code="TSCC-ELSE")
    assert client.get(f"/dashboards/centre?centre={other.code}").status_code == 404


def test_staff_without_a_centre_are_told_why_there_is_nothing(client, make, login):
    login(make.user(Role.STAFF, []))
    assert "not a member of any centre" in page(client, "/dashboards/centre")


def test_totals_convert_by_month_name_their_rates_and_keep_what_has_no_rate(make, centre):
    make.rate("USD", "CNY", "7.2", date(2025, 3, 1), source="manual")
    make.ledger_entry(centre, amount="1000", currency="CNY", booked_on=date(2025, 3, 10))
    make.ledger_entry(centre, amount="100", currency="USD", booked_on=date(2025, 3, 20))
    make.ledger_entry(centre, amount="5000", currency="KHR", booked_on=date(2025, 3, 20))
    scope = Scope(frozenset({centre.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 5, 1))
    d = build(scope, RatePlan("month", "CNY", date(2026, 4, 30)), network=False)

    total = d.resources_by_centre.row_total(centre.id)
    assert total.total.amount == Decimal("1720.00")  # 1000 CNY + 100 USD × 7.2
    assert {m.currency: m.amount for m in total.subtotal_money()} == {
        "CNY": Decimal("1000"),
        "USD": Decimal("100"),
        "KHR": Decimal("5000"),
    }
    assert total.rate_lines() == ["USD → CNY: manual rate of 2025-03-01"]
    (missing,) = total.not_converted()
    assert missing.startswith("KHR 5,000.00 not converted: ") and "no reference rate for KHR" in missing
    assert d.flags.not_converted == total.not_converted()
    assert "first day of their month" in d.statement and "half to even" in d.statement


def test_proposals_pipeline_counts_requested_expected_and_awarded(make, centre):
    make.proposal(centre, status="in_preparation", requested_amount="1000", requested_currency="CNY")
    scope = Scope(frozenset({centre.id}), None, None, date(2026, 5, 1))
    d = build(scope, RatePlan("month", "CNY", date(2026, 5, 1)), network=False)
    from crm.proposals.models import ProposalStatus

    line = d.proposals[None][ProposalStatus.IN_PREPARATION]
    assert line.proposals == 1
    assert line.requested.total.amount == Decimal("1000.00")
    assert line.expected.total.amount == Decimal("200.00")  # the 20% default chance in preparation


def test_bad_filters_keep_the_previous_view_with_a_message(client, make, login, centre):
    login(make.user(Role.COORDINATOR))
    text = page(client, "/dashboards/network?currency=XYZ&was_currency=EUR&was_period=all")
    assert "Unknown currency code" in text and "The previous view is shown: all dates, in EUR" in text
    text = page(client, "/dashboards/network?from=2026-05-01&to=2026-01-01&was_currency=USD")
    assert "before it starts" in text and "in USD" in text


def test_every_figure_links_to_the_filtered_list(client, make, login, centre):
    make.ledger_entry(centre, amount="1000", currency="CNY", booked_on=date(2025, 3, 10))
    login(make.user(Role.COORDINATOR))
    text = page(client, f"/dashboards/centre?centre={centre.code}&currency=CNY")
    assert f"/resources?centre={centre.code}&amp;stage=committed&amp;category=host_institution" in text
    assert f"/partnerships?centre={centre.code}" in text
    assert f"/proposals?centre={centre.code}" in text


def test_charts_are_inline_svg_without_styles(client, make, login, centre):
    login(make.user(Role.COORDINATOR))
    text = page(client, "/dashboards/network")
    assert text.count("<svg") >= 5 and "style=" not in text and "<script" not in text


def test_a_page_issues_as_many_statements_at_10000_entries_as_at_1000(app, client, make, login):
    small = Scale(centres=3, organisations=300, proposals=300, entries=1_000, experts=100, partnerships_per_centre=40)
    generated = generate(small, tag="S")
    coordinator = make.user(Role.COORDINATOR)
    login(coordinator)
    urls = ["/dashboards/network", f"/dashboards/centre?centre={generated.centre_codes[0]}"]
    before = [statements_of_page(app, client, url) for url in urls]
    generate(Scale(centres=3, organisations=1_000, proposals=3_000, entries=9_000, experts=900, seed=8), tag="L")
    after = [statements_of_page(app, client, url) for url in urls]
    assert before == after


def test_done_when_the_nies_totals_agree_with_its_report_in_cny_and_usd(client, make, login):
    run_seeds()
    nies = centre_by_code("TSCC-NIES")
    login(make.user(Role.COORDINATOR))
    for currency in ("CNY", "USD"):
        text = page(client, f"/dashboards/network?currency={currency}")
        assert "Conversion policy" in text and "not converted" not in text.split("Data quality")[0]
    scope = Scope(frozenset({nies.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 11, 24))
    cny = build(scope, RatePlan("month", "CNY", date(2026, 4, 30)), network=False)
    by_category = cny.resources_by_category
    assert by_category.row_total(Category.HOST_INSTITUTION).total.amount == Decimal("900000.00")
    assert by_category.row_total(Category.OTHER).total.amount == Decimal("250000.00")
    usd = build(scope, RatePlan("month", "USD", date(2026, 4, 30)), network=False)
    institutional = usd.resources_by_category.cell(Category.HOST_INSTITUTION, Stage.COMMITTED)
    assert institutional.is_complete and institutional.subtotal_money()[0].amount == Decimal("900000")
    assert institutional.rate_lines()[0].startswith("CNY → USD: ECB reference rate of 2026-04-30")
    text = page(client, "/dashboards/centre?centre=TSCC-NIES&currency=USD")
    assert "CN¥900,000.00" in text and "rates used" in text
