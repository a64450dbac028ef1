"""Rate sources, imports with a preview, manual rates, coverage, the CLI and the forex-python refresh offline."""

import io
import socket
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.auth.models import Role
from crm.core.types import ExactDecimal
from crm.extensions import db
from crm.money import Money, queries, registry, services
from crm.money.conversion import convert
from crm.money.models import ExchangeRate, ImportStatus, RateImport
from crm.money.policy import Policy
from crm.money.providers import ecb, forex, un


def un_xml(day: str, rates: list[tuple[str, str, str]]) -> bytes:
    """A UN operational rates list in the published XML layout: one record per country."""
    records = "".join(
        f"<UN_OPERATIONAL_RATES><f_curr_code>{code}</f_curr_code><f_ctry_name>{country}</f_ctry_name>"
        f"<rate>{rate}</rate><effective_date>{day}</effective_date></UN_OPERATIONAL_RATES>"
        for country, code, rate in rates
    )
    dataset = f"<UN_OPERATIONAL_RATES_DATASET>{records}</UN_OPERATIONAL_RATES_DATASET>"
    return ('<?xml version="1.0" encoding="UTF-8"?>' + dataset).encode()


def un_csv(day: str, rates: list[tuple[str, str, str]]) -> bytes:
    lines = ["UN Operational Rates of Exchange", "Country,Currency Code,Rate,Effective Date"]
    lines += [f"{country},{code},{rate},{day}" for country, code, rate in rates]
    return "\n".join(lines).encode()


JUNE = [
    ("Kazakhstan", "KZT", "505.20"),
    ("China", "CNY", "7.18"),
    ("Austria", "EUR", "0.92"),
    ("France", "EUR", "0.92"),
    ("Uzbekistan", "UZS", "12650"),
    ("United States of America", "USD", "1"),
]


def test_un_xml_collapses_repeats_and_keeps_units_per_dollar():
    parsed = un.parse(un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml")
    assert not parsed.problems
    assert [(r.quote, r.rate) for r in parsed.rates] == [
        ("CNY", Decimal("7.18")),
        ("EUR", Decimal("0.92")),
        ("KZT", Decimal("505.20")),
        ("UZS", Decimal("12650")),
    ]
    assert {r.base for r in parsed.rates} == {"USD"} and {r.effective_on for r in parsed.rates} == {date(2025, 6, 1)}


def test_un_csv_reads_the_same_list():
    parsed = un.parse(un_csv("2025-06-01", JUNE), "ore-2025-06.csv")
    assert not parsed.problems and len(parsed.rates) == 4


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("United States of America", "USD", "1.01")], "USD must be 1"),
        ([("Kazakhstan", "KZT", "-505")], "must be more than zero"),
        ([("Kazakhstan", "KZT", "0")], "must be more than zero"),
        ([("Kazakhstan", "KZT", "abc")], "must be a number"),
        ([("Kazakhstan", "KZT", "NaN")], "must be a number"),
        ([("Kazakhstan", "KZT", "Infinity")], "must be a number"),
        ([("Kazakhstan", "KZT", "505.123456789012")], "more than 10 decimal places"),
        ([("Kazakhstan", "KZT", "1e12")], "must be less than"),
        ([("Austria", "EUR", "0.92"), ("France", "EUR", "0.93")], "one currency has one UN rate"),
        ([("Nowhere", "XYZ", "3")], "not an ISO 4217 currency code"),
        ([("Nowhere", "ZZZ", "3")], "not an ISO 4217 currency code"),
        ([("Nowhere", "XXX", "3")], "not an ISO 4217 currency code"),
    ],
)
def test_un_validation_refuses_bad_lists(rows, message):
    parsed = un.parse(un_xml("01-Jun-2025", rows), "bad.xml")
    assert any(message in p for p in parsed.problems), parsed.problems


def test_un_dates_must_parse():
    parsed = un.parse(un_xml("06/01/2025", [("Kazakhstan", "KZT", "505")]), "bad.xml")
    assert "is not a date" in parsed.problems[0]
    assert un.parse(b"<not xml", "broken.xml").problems[0].startswith("The file could not be read")


def test_kzt_converts_through_the_usd_pivot_from_an_imported_un_file(make):
    services.store_rates("un", un.parse(un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml"))
    conversion = convert(Money("1010400", "KZT"), "CNY", date(2025, 6, 14), Policy.un())
    assert conversion.path == "via USD" and conversion.source == "un"
    assert conversion.rounded() == Money("14360.00", "CNY")
    assert conversion.explain().startswith("1 USD = 505.2 KZT (UN operational rate, 2025-06-01, divided by); 1 USD =")
    assert conversion.reference == "ore-2025-06.xml"


def test_review_reports_missing_currencies_and_flags_jumps(make):
    services.store_rates("un", un.parse(un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml"))
    july = [("Kazakhstan", "KZT", "600"), ("China", "CNY", "7.20"), ("Austria", "EUR", "0.91")]
    parsed = un.parse(un_xml("01-Jul-2025", july), "ore-2025-07.xml")
    findings = services.review("un", parsed)
    assert {"level": "warning"}.items() <= findings[0].items() and "UZS was in the UN list of 2025-06-01" in str(
        findings
    )
    confirm = [f["message"] for f in findings if f["level"] == "confirm"]
    assert len(confirm) == 1 and confirm[0].startswith("KZT: 600 per USD on 2025-07-01 against 505.2")


@pytest.fixture
def admin(make, login):
    user = make.user(Role.ADMIN)
    login(user)
    return user


def upload(client, content: bytes, name: str, kind="un"):
    return client.post("/rates/import", data={"kind": kind, "file": (io.BytesIO(content), name)})


def test_import_previews_then_stores_on_confirmation(client, admin):
    response = upload(client, un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml")
    assert response.status_code == 303
    preview = client.get(response.location)
    page = preview.get_data(as_text=True)
    assert "<strong>4</strong> new rates" in page and "KZT" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 0
    pending = db.session.scalars(sa.select(RateImport)).one()
    confirmed = client.post(f"/rates/import/{pending.id}/confirm", data={})
    assert confirmed.status_code == 303
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate).where(ExchangeRate.source == "un")) == 4
    )
    db.session.refresh(pending)
    assert pending.status == ImportStatus.CONFIRMED
    rates_page = client.get("/rates/?currency=KZT").get_data(as_text=True)
    assert "505.2" in rates_page and "ore-2025-06.xml" in rates_page


def test_a_jump_must_be_ticked_and_a_bad_file_cannot_be_confirmed(client, admin):
    services.store_rates("un", un.parse(un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml"))
    db.session.commit()
    response = upload(client, un_xml("01-Jul-2025", [("Kazakhstan", "KZT", "600")]), "ore-2025-07.xml")
    pending_id = int(response.location.rsplit("/", 1)[1])
    refused = client.post(f"/rates/import/{pending_id}/confirm", data={})
    assert refused.status_code == 422 and "Confirm the flagged rates" in refused.get_data(as_text=True)
    assert client.post(f"/rates/import/{pending_id}/confirm", data={"confirm_jumps": "y"}).status_code == 303
    assert convert(Money("600", "KZT"), "USD", date(2025, 7, 2)).rounded() == Money("1.00", "USD")

    bad = upload(client, un_xml("01-Aug-2025", [("United States of America", "USD", "2")]), "bad.xml")
    bad_id = int(bad.location.rsplit("/", 1)[1])
    assert "cannot be imported" in client.get(bad.location).get_data(as_text=True)
    assert client.post(f"/rates/import/{bad_id}/confirm", data={}).status_code == 422
    assert client.post(f"/rates/import/{bad_id}/discard").status_code == 303
    assert db.session.get(RateImport, bad_id).status == ImportStatus.DISCARDED


def test_upload_without_a_file_says_so_beside_the_field(client, admin):
    response = client.post("/rates/import", data={"kind": "un"})
    assert response.status_code == 422 and "Choose a file." in response.get_data(as_text=True)


def test_manual_rate_needs_a_reason_and_shows_its_history(client, admin):
    form = {"base": "USD", "quote": "rmb", "rate": "7.1", "effective_on": "2025-06-01", "valid_until": "2025-06-30"}
    form |= {"scope": "network", "reason": ""}
    refused = client.post("/rates/new", data=form)
    assert refused.status_code == 422 and "Say why this rate is entered by hand." in refused.get_data(as_text=True)
    saved = client.post("/rates/new", data=form | {"reason": "CAST grant letter states the rate"})
    assert saved.status_code == 302
    record = db.session.scalars(sa.select(ExchangeRate)).one()
    assert (record.quote, record.rate, record.imported_by_id) == ("CNY", Decimal("7.1"), admin.id)
    page = client.get(saved.location).get_data(as_text=True)
    assert "CAST grant letter states the rate" in page and "Added the exchange rate" in page
    duplicate = client.post("/rates/new", data=form | {"reason": "again", "base": "CNY", "quote": "USD"})
    assert duplicate.status_code == 422 and "already converts the network" in duplicate.get_data(as_text=True)
    for bad_rate in ("0", "-1", "abc", "1.12345678901"):
        response = client.post("/rates/new", data=form | {"rate": bad_rate, "effective_on": "2025-07-01"})
        assert response.status_code == 422, bad_rate
    assert client.post(f"/rates/{record.id}/delete").status_code == 303
    assert db.session.get(ExchangeRate, record.id) is None


@pytest.fixture
def amounts_table(app):
    """A table holding amounts, registered as a domain would register its ledger."""
    metadata = sa.MetaData()
    table = sa.Table(
        "test_money_amounts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", ExactDecimal()),
        sa.Column("currency", sa.String(3)),
        sa.Column("booked_on", sa.Date),
    )
    metadata.create_all(db.session.connection())
    registry.register_amounts(table, table.c.amount, table.c.currency, table.c.booked_on, label="Test ledger")
    yield table
    registry._registered.pop("test_money_amounts.amount")


def test_coverage_names_the_currencies_and_dates_without_a_rate(client, admin, amounts_table):
    services.store_rates("un", un.parse(un_xml("01-Jun-2025", JUNE), "ore-2025-06.xml"))
    db.session.execute(
        sa.insert(amounts_table),
        [
            {"amount": Decimal("100"), "currency": "KZT", "booked_on": date(2025, 6, 10)},
            {"amount": Decimal("100"), "currency": "KZT", "booked_on": date(2025, 9, 10)},
            {"amount": Decimal("100"), "currency": "TJS", "booked_on": date(2025, 6, 10)},
            {"amount": Decimal("100"), "currency": "USD", "booked_on": date(2025, 6, 10)},
            {"amount": Decimal("100"), "currency": "CNY", "booked_on": None},
        ],
    )
    rows = {row.currency: row for row in queries.coverage()}
    assert rows["USD"].is_covered
    assert (rows["CNY"].undated, rows["CNY"].first_on) == (1, None)
    assert [(g.first_on, g.count) for g in rows["KZT"].gaps] == [(date(2025, 9, 10), 1)]
    assert "is of 2025-06-01, more than 45 days before 2025-09-10" in rows["KZT"].gaps[0].reason
    assert "the ECB publishes no reference rate for TJS" in rows["TJS"].gaps[0].reason
    page = client.get("/rates/coverage").get_data(as_text=True)
    assert "Test ledger" in page and "every date has a rate" in page and "KZT" in page
    assert "1 amount without a date: converted only at a fixed date" in page


def test_ecb_coverage_says_what_the_offline_history_lacks():
    reasons = dict(queries.ecb_coverage())
    for code in ("KZT", "UZS", "KGS", "TJS", "TMT", "AMD", "AZN", "BYN", "NPR", "PKR", "KHR"):
        assert reasons[code] == f"the ECB publishes no reference rate for {code}"
    assert reasons["RUB"] == "the ECB's RUB reference rate stops on 2022-03-01"
    assert "CNY" not in reasons and "USD" not in reasons


def test_cli_import_loads_the_packaged_ecb_history_and_un_files(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rates", "import", "--source", "ecb", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "new, 0 changed" in result.output
    assert convert(Money("100", "EUR"), "CNY", date(2026, 3, 1)).source == "ecb"
    again = runner.invoke(args=["rates", "import", "--source", "ecb", "--since", "2026-01-01"])
    assert "0 new, 0 changed" in again.output
    bad = tmp_path / "bad.xml"
    bad.write_bytes(un_xml("01-Jun-2025", [("United States of America", "USD", "2")]))
    refused = runner.invoke(args=["rates", "import", str(bad), "--source", "un"])
    assert refused.exit_code == 1 and "nothing was imported" in refused.output
    coverage = runner.invoke(args=["rates", "coverage"])
    assert coverage.exit_code == 0 and "KZT: the ECB publishes no reference rate for KZT" not in coverage.output


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_forex_refresh_without_a_network_leaves_rates_untouched(app, make):
    make.rate("USD", "CNY", "7.1", date(2025, 6, 1), source="forex")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["rates", "refresh", "--url", f"http://127.0.0.1:{closed_port()}/api/", "--timeout", "2"]
    )
    assert result.exit_code == 1
    assert "could not be reached (ConnectionError); nothing was changed" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 1


def test_forex_timeout_and_non_json_pages_are_failures_not_rates(monkeypatch):
    class Page:
        status_code = 200
        text = "<html>Service moved</html>"

    monkeypatch.setattr(forex.requests, "get", lambda *args, **kwargs: Page())
    with pytest.raises(forex.RefreshFailed, match="did not answer with rates"):
        forex.fetch()

    def too_slow(*args, timeout=None, **kwargs):
        assert timeout == 3
        raise forex.requests.Timeout()

    monkeypatch.setattr(forex.requests, "get", too_slow)
    with pytest.raises(forex.RefreshFailed, match="did not answer within 3 seconds"):
        forex.fetch(timeout=3)


def test_forex_answer_becomes_usd_rates(monkeypatch):
    class Page:
        status_code = 200
        text = '{"base": "USD", "date": "2026-03-02", "rates": {"CNY": 7.1234, "EUR": 0.91, "XXX1": 1}}'

    monkeypatch.setattr(forex.requests, "get", lambda *args, **kwargs: Page())
    parsed = forex.fetch(date(2026, 3, 2))
    assert {(r.quote, r.rate) for r in parsed.rates} == {("CNY", Decimal("7.1234")), ("EUR", Decimal("0.91"))}


def test_ecb_parse_reads_zip_and_csv_and_refuses_other_files():
    csv_text = b"Date,USD,CNY,KZT,\n2026-03-02,1.05,7.60,N/A,\n"
    parsed = ecb.parse(csv_text, "eurofxref-hist.csv")
    assert [(r.quote, r.rate) for r in parsed.rates] == [("USD", Decimal("1.05")), ("CNY", Decimal("7.60"))]
    assert ecb.parse(b"hello", "x.csv").problems
