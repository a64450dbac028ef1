"""Rates a reader can check (issue 13): every cited figure reproduces from its citation, UN rates as the UN defines
them (mid-month revisions from their date), manual rates that convert only their scope, amounts that cannot be
misread, and every money field safe from what a user may type."""

import html
import inspect
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from crm.auth.models import Role, User
from crm.dashboards.queries import Scope as DashboardScope
from crm.dashboards.summary import build
from crm.extensions import db
from crm.funding.models import Measure
from crm.money.amounts import MAX_AMOUNT
from crm.money.conversion import round_exact
from crm.money.forms import AmountField
from crm.money.models import ExchangeRate
from crm.money.providers import un
from crm.money.services import add_manual_rate, review
from crm.money.totals import RatePlan
from crm.reports import drafting
from crm.seeding import run_seeds
from tests.test_amounts import HOSTILE_AMOUNTS

CITATION = re.compile(
    r'<ol class="citations" data-total="([^"]+)" data-target="([A-Z]{3})" data-already="([^"]+)">(.*?)</ol>', re.S
)
CITED = re.compile(r'<li class="cite" data-currency="([A-Z]{3})" data-amount="([^"]+)" data-factors="([^"]*)">')


def worked_out(amount: str, factors: str) -> Fraction:
    """What a reader makes of one cited line: the amount × each rate, ÷ each one marked so."""
    value = Fraction(Decimal(amount))
    for sign, rate in re.findall(r"([×÷]) ([\d.]+)", factors):
        value = value * Fraction(Decimal(rate)) if sign == "×" else value / Fraction(Decimal(rate))
    return value


def check_citations(shown: str) -> int:
    """Every citation on a page, worked out from what it cites alone, gives the figure it stands under."""
    checked = 0
    for total, target, already, lines in CITATION.findall(shown):
        value = Fraction(Decimal(already)) + sum(
            (worked_out(amount, html.unescape(factors)) for _, amount, factors in CITED.findall(lines)), Fraction(0)
        )
        assert round_exact(value, target) == Decimal(total), (total, lines[:300])
        checked += 1
    return checked


@pytest.fixture
def demo(app):
    run_seeds()
    db.session.commit()


def test_every_cited_figure_of_the_seeded_demo_reproduces_from_its_citation(client, login, demo):
    login(db.session.scalar(sa.select(User).where(User.email == "coordinator@demo.tscc.example")))
    pages = [
        "/dashboards/network?currency=USD",
        "/dashboards/network?currency=USD&rates=end",
        "/dashboards/centre?centre=TSCC-NIES&currency=USD",
        "/dashboards/centre?centre=TSCC-NIES&currency=EUR&period=all",
        "/resources?currency=USD&rates=month&measure=committed&total=committed",
        "/proposals?currency=USD&total=expected",
    ]
    checked = sum(check_citations(client.get(url).get_data(as_text=True)) for url in pages)
    assert checked >= 20


def test_the_nies_annex_cites_the_legs_that_reproduce_its_figure(demo):
    from crm.centres.services import centre_by_code

    nies = centre_by_code("TSCC-NIES")
    draft = drafting.draft(nies, nies.periods[0])
    legs = {(r.base, r.quote): Decimal(r.rate) for r in draft.rates_used}
    assert set(legs) == {("EUR", "CNY"), ("EUR", "USD")}
    usd = Fraction(900000) / Fraction(legs[("EUR", "CNY")]) * Fraction(legs[("EUR", "USD")])
    assert f"USD {round_exact(usd, 'USD'):,}" in draft.key_figures.text


# --- UN operational rates as UN Treasury publishes and defines them --------------------------------

PUBLISHED = b"""<?xml version="1.0" encoding="utf-8"?>\r
<UN_OPERATIONAL_RATES_DATASET>\r
<xs:schema id="UN_OPERATIONAL_RATES_DATASET" xmlns:xs="http://www.w3.org/2001/XMLSchema">\r
  <xs:element name="UN_OPERATIONAL_RATES"><xs:complexType><xs:sequence>\r
    <xs:element name="f_curr_code" type="xs:string" minOccurs="0" />\r
    <xs:element name="eff_date" type="xs:dateTime" minOccurs="0" />\r
  </xs:sequence></xs:complexType></xs:element>\r
</xs:schema>\r
<UN_OPERATIONAL_RATES>\r
\t<abbrv_name>\tKazakhstan\t</abbrv_name>\r
\t<name>Tenge</name>\r
\t<f_curr_code>KZT</f_curr_code>\r
\t<rate>\t505.2\t</rate>\r
\t<eff_date>01 Oct 2026</eff_date>\r
</UN_OPERATIONAL_RATES>\r
<UN_OPERATIONAL_RATES><abbrv_name>France</abbrv_name><name>Euro</name><f_curr_code>EUR</f_curr_code>\r
<rate>0.86</rate><eff_date>01 Oct 2026</eff_date></UN_OPERATIONAL_RATES>\r
<UN_OPERATIONAL_RATES><abbrv_name>Germany</abbrv_name><name>Euro</name><f_curr_code>EUR</f_curr_code>\r
<rate>0.86</rate><eff_date>01 Oct 2026</eff_date></UN_OPERATIONAL_RATES>\r
</UN_OPERATIONAL_RATES_DATASET>\r
"""


def test_the_published_xml_is_read_as_published():
    parsed = un.parse(PUBLISHED, "ore-2026-10.xml")
    assert parsed.problems == []
    assert [(r.quote, r.rate, r.effective_on) for r in parsed.rates] == [
        ("EUR", Decimal("0.86"), date(2026, 10, 1)),
        ("KZT", Decimal("505.2"), date(2026, 10, 1)),
    ]


def test_a_csv_is_read_by_its_column_names_exactly():
    parsed = un.parse(
        b"Country,Currency,Code,Rate,Effective Date\r\nKazakhstan,Tenge,KZT,505.20,01 Jun 2025\r\n", "x.csv"
    )
    assert parsed.problems == [] and [(r.quote, r.rate) for r in parsed.rates] == [("KZT", Decimal("505.20"))]
    assert un.parse(un.EXAMPLE_CSV.encode(), "example.csv").problems == []
    refused = un.parse(b"Land,Name,Value\r\nKazakhstan,Tenge,505\r\n", "x.csv")
    assert "No header line names the currency code, rate and effective date columns" in refused.problems[0]


def test_a_mid_month_revision_is_not_missing_what_it_leaves_out_and_an_older_one_is_confirmed(make):
    for code, rate in (("KZT", "500"), ("CNY", "7.2"), ("UZS", "12650")):
        make.rate("USD", code, rate, date(2026, 11, 1), source="un")
    revision = un.parse(b"Code,Rate,Effective Date\r\nKZT,520,16 Nov 2026\r\n", "revision.csv")
    assert review("un", revision) == []
    older = un.parse(b"Code,Rate,Effective Date\r\nKZT,510,15 Oct 2026\r\n", "late.csv")
    (finding,) = review("un", older)
    assert finding["level"] == "confirm" and "older than the one of 2026-11-01" in finding["message"]
    monthly = un.parse(b"Code,Rate,Effective Date\r\nKZT,530,01 Dec 2026\r\n", "december.csv")
    assert {f["message"].split(" ")[0] for f in review("un", monthly) if f["level"] == "warning"} == {"CNY", "UZS"}


def ca_pledges(make):
    """TSCC-CA's KZT pledges of November: one before and one after a mid-month UN revision."""
    centre = make.centre(code="TSCC-CA2", reporting_currency="USD")
    make.rate("USD", "KZT", "500", date(2026, 11, 1), source="un")
    make.rate("USD", "KZT", "520", date(2026, 11, 16), source="un", reference="mid-month revision")
    early = make.ledger_entry(centre, amount="5000000", currency="KZT", booked_on=date(2026, 11, 3), stage="pledged")
    late = make.ledger_entry(centre, amount="5200000", currency="KZT", booked_on=date(2026, 11, 20), stage="pledged")
    return centre, early, late


def pledged(centre, plan_key: str):
    scope = DashboardScope(frozenset({centre.id}), date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1))
    return build(scope, RatePlan(plan_key, "USD", date(2026, 11, 30))).resources_by_centre.cell(
        centre.id, Measure.PLEDGED
    )


def test_under_the_un_policy_a_pledge_after_a_mid_month_revision_converts_at_it(make):
    centre, _, _ = ca_pledges(make)
    cell = pledged(centre, "un")
    assert cell.total == pledged(centre, "un").total
    assert cell.total.amount == Decimal("20000.00")  # 5,000,000 ÷ 500 + 5,200,000 ÷ 520
    assert sorted(c.factors() for c in cell.citations()) == ["÷ 500", "÷ 520"]
    # The first-of-the-month policy says what it does: both at the rate of 1 November.
    assert pledged(centre, "month").total.amount == Decimal("20400.00")


def test_a_manual_rate_for_one_pledge_leaves_every_other_kzt_amount_on_the_un_rate(make):
    centre, early, late = ca_pledges(make)
    admin = make.user(Role.ADMIN)
    add_manual_rate(
        base="USD",
        quote="KZT",
        rate=Decimal("400"),
        effective_on=date(2026, 10, 1),
        reason="grant letter",
        user=admin,
        scope="entry",
        entry_id=early.id,
    )
    cell = pledged(centre, "month")
    # The letter's rate for the early pledge (12,500), the UN rate of 1 November for the other (10,400).
    assert cell.total.amount == Decimal("22900.00")
    scopes = {leg.scope for c in cell.citations() for leg in c.legs}
    assert scopes == {f"entry:{early.id}", "network"}
    assert any("for entry #" in c.words() for c in cell.citations())


# --- amounts that cannot be misread, in every money field --------------------------------------


def every_money_field():
    """(form class, field name) of every AmountField on every form of the app."""
    import crm

    found = []
    for domain in crm.DOMAINS:
        module = crm.domain_module(domain, "forms")
        for _, cls in inspect.getmembers(module or object, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                for name in dir(cls):
                    unbound = getattr(cls, name, None)
                    if getattr(unbound, "field_class", None) is AmountField:
                        found.append((cls, name))
    return found


def test_every_money_field_refuses_or_keeps_every_hostile_amount(app):
    fields = every_money_field()
    assert len(fields) >= 12, fields
    with app.test_request_context():
        for cls, name in fields:
            for hostile in HOSTILE_AMOUNTS:
                # The field as its form declares it (validators and all), alone on a form of its own.
                probe = type("Probe", (FlaskForm,), {name: getattr(cls, name)})
                form = probe(formdata=MultiDict({name: hostile}), meta={"csrf": False})
                field = form[name]
                field.validate(form)
                if not field.errors:
                    assert field.data is None or (field.data.is_finite() and abs(field.data) < MAX_AMOUNT), (cls, name)


def test_a_russian_admin_types_a_rate_with_a_decimal_comma(client, make, login):
    admin = make.user(Role.ADMIN)
    admin.locale = "ru"
    db.session.commit()
    login(admin)
    form = {"base": "USD", "quote": "CNY", "rate": "7,2", "scope": "network", "effective_on": "2025-06-01"}
    response = client.post("/rates/new", data=form | {"valid_until": "2025-06-30", "reason": "bank"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(ExchangeRate.rate).where(ExchangeRate.source == "manual")) == Decimal("7.2")
    refused = client.post("/rates/new", data=form | {"rate": "1.234", "valid_until": "2025-06-30", "reason": "x"})
    assert "can be read as 1234" in html.unescape(refused.get_data(as_text=True))


# --- what could not be converted: said once, with the way forward --------------------------------------------


def test_a_missing_rate_is_explained_once_per_page_with_the_way_forward(client, make, login):
    centre = make.centre()
    make.rate("USD", "CNY", "7.2", date(2025, 3, 1), source="manual")
    for day in (3, 17):
        make.ledger_entry(centre, amount="5000", currency="KHR", booked_on=date(2025, 3, day))
    make.ledger_entry(centre, amount="100", currency="USD", booked_on=date(2025, 3, 20))
    make.ledger_entry(make.centre(), amount="900", currency="KHR", booked_on=date(2025, 3, 20))
    login(make.user(Role.COORDINATOR))
    for url in ("/dashboards/network?currency=CNY", f"/resources?currency=CNY&centre={centre.code}"):
        shown = html.unescape(client.get(url).get_data(as_text=True))
        assert shown.count("no reference rate for KHR") == 1, url
        assert 'KHR\u00a010,000.00 not converted · <a href="#' in shown, url
        assert "See the KHR rates</a> and ask an administrator" in shown, url
    network = html.unescape(client.get("/dashboards/network?currency=CNY").get_data(as_text=True))
    assert "CNY\u00a00.00" not in network, "a centre whose amounts all lack a rate shows no converted 0"
    assert "not converted</a>" in network
    login(make.user(Role.ADMIN))
    shown = client.get("/dashboards/network?currency=CNY").get_data(as_text=True)
    assert 'href="/rates/coverage?currency=KHR">Add a KHR rate</a>' in shown
