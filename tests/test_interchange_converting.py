"""Exports asked to convert (?convert=USD): each amount also in USD, with the rates it was converted by, as the
pages convert it; a reader reproduces every converted figure from the rates cited, to the cent."""

import io
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from openpyxl import load_workbook

from crm.extensions import db
from crm.funding.models import LedgerEntry
from crm.interchange import services
from crm.interchange.services import Options
from crm.money import Money
from crm.money.conversion import convert

CITED = re.compile(r"^(?P<amount>-?[\d.]+) (?P<currency>[A-Z]{3}) (?P<factors>(?:[×÷] [\d.]+ ?)+) \((?P<words>.+)\)$")


def worked_out(citation: str) -> Decimal:
    """The converted figure from its citation alone: the amount × and ÷ the rates cited, rounded once to cents."""
    match = CITED.match(citation)
    assert match, citation
    value = Fraction(Decimal(match["amount"]))
    for sign, rate in re.findall(r"([×÷]) ([\d.]+)", match["factors"]):
        value = value * Fraction(Decimal(rate)) if sign == "×" else value / Fraction(Decimal(rate))
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def rows_of(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    return [dict(zip(headers, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_ledger_export_converts_each_amount_citing_its_rates_to_the_cent(client, login, staff, nies, make):
    make.rate("EUR", "CNY", "7.991", date(2025, 5, 1))
    make.rate("EUR", "USD", "1.1702", date(2025, 5, 1))
    make.rate("EUR", "CNY", "7.7", date(2025, 6, 1))
    make.rate("EUR", "USD", "1.09", date(2025, 6, 1))
    daily = make.ledger_entry(
        nies, amount="500000", currency="CNY", booked_on=date(2025, 5, 20), purpose_detail="Daily"
    )
    june = make.ledger_entry(
        nies, amount="123456.78", currency="CNY", booked_on=date(2025, 6, 30), purpose_detail="June"
    )
    grant = make.ledger_entry(nies, amount="250000", currency="CNY", booked_on=date(2025, 6, 3), purpose_detail="Grant")
    make.rate(
        "USD", "CNY", "7.05", date(2025, 1, 1), source="manual", scope=f"entry:{grant.id}", scope_entry_id=grant.id
    )
    make.ledger_entry(nies, amount="1000", currency="USD", booked_on=date(2025, 6, 3), purpose_detail="Dollars")
    make.ledger_entry(nies, amount="4000000", currency="KHR", booked_on=date(2025, 6, 3), purpose_detail="Riel")
    login(staff)
    content = client.get("/exports/ledger.xlsx?convert=usd").data
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    at = headers.index("Amount")
    assert headers[at : at + 4] == ["Amount", "Currency", "Amount in USD", "Amount in USD: rates"]
    rows = {row["Purpose in words"]: row for row in rows_of(content)}

    for name, entry in (("Daily", daily), ("June", june)):
        row = rows[name]
        figure = Decimal(str(row["Amount in USD"]))
        assert figure == worked_out(row["Amount in USD: rates"]), row
        # As the pages convert it: at the rate of the first day of the entry's month.
        expected = convert(Money(entry.amount, "CNY"), "USD", entry.rate_on.replace(day=1)).rounded()
        assert figure == expected.amount
        assert "ECB" in row["Amount in USD: rates"] and "2025-0" in row["Amount in USD: rates"]
    assert Decimal(str(rows["Daily"]["Amount in USD"])) == Decimal("73219.87")  # 500000 ÷ 7.991 × 1.1702

    grant_row = rows["Grant"]  # its own manual rate, scoped to the entry, whatever the month
    assert "÷ 7.05" in grant_row["Amount in USD: rates"] and f"entry #{grant.id}" in grant_row["Amount in USD: rates"]
    assert (
        Decimal(str(grant_row["Amount in USD"])) == worked_out(grant_row["Amount in USD: rates"]) == Decimal("35460.99")
    )
    assert rows["Dollars"]["Amount in USD"] == 1000 and rows["Dollars"]["Amount in USD: rates"] == "already in USD"
    riel = rows["Riel"]  # no rate: says why, and is not 0
    assert riel["Amount in USD"] is None and "not converted" in riel["Amount in USD: rates"]
    # Amounts in USD are numbers with USD's minor units.
    converted = sheet.cell(row=2, column=at + 3)
    assert converted.data_type == "n" and converted.number_format == "#,##0.00"

    # The CSV alike; an export that converts imports again unchanged, its converted columns not read.
    text = client.get("/exports/ledger.csv?convert=USD").get_data(as_text=True)
    assert "73219.87,1 CNY" not in text and "73219.87," in text
    outcome = services.run(content, nies, staff, Options(register="ledger"))
    assert not outcome.errors and outcome.sheets[0].unchanged == 5
    assert any("converted by an export" in issue.message for issue in outcome.warnings)


def test_proposals_convert_at_the_rate_of_the_lists_last_day_as_the_proposals_list_does(
    client, login, staff, nies, make
):
    make.rate("EUR", "USD", "1.10", date(2025, 12, 29))
    make.rate("EUR", "USD", "1.20", date(2026, 1, 2))
    make.period(nies, label="2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    make.proposal(nies, title="Wetlands", requested_amount="100000", requested_currency="EUR")
    login(staff)
    row = rows_of(client.get("/exports/proposals.xlsx?convert=USD&period=2025").data)[0]
    assert row["Requested amount in USD"] == 110000, row
    assert "2025-12-29" in row["Requested amount in USD: rates"]
    assert Decimal(str(row["Requested amount in USD"])) == worked_out(row["Requested amount in USD: rates"])


def test_a_currency_that_is_none_is_said_and_the_link_offers_the_pages_currency(client, login, staff, nies, make):
    login(staff)
    refused = client.get("/exports/ledger.xlsx?convert=XYZ")
    assert refused.status_code == 400 and "XYZ" in refused.get_data(as_text=True)
    make.ledger_entry(nies)
    page = client.get("/resources?currency=USD").get_data(as_text=True)
    assert "convert=USD" in page and "XLSX in USD" in page
    assert "XLSX in" not in client.get("/resources").get_data(as_text=True)
    assert "XLSX in" not in client.get("/rates/?currency=USD").get_data(as_text=True)  # a filter there: no amounts


def test_the_command_line_converts_when_asked(app, nies, tmp_path, make):
    make.rate("EUR", "CNY", "7.991", date(2025, 5, 1))
    make.rate("EUR", "USD", "1.1702", date(2025, 5, 1))
    make.ledger_entry(nies, amount="500000", currency="CNY", booked_on=date(2025, 5, 20))
    out = tmp_path / "ledger.xlsx"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", nies.code, "ledger", "--output", str(out), "--convert", "USD"])
    assert result.exit_code == 0, result.output
    (row,) = rows_of(out.read_bytes())
    assert Decimal(str(row["Amount in USD"])) == Decimal("73219.87")
    bad = runner.invoke(args=["export", nies.code, "ledger", "--output", str(out), "--convert", "XYZ"])
    assert bad.exit_code == 2 and "XYZ" in bad.output
    assert db.session.query(LedgerEntry).count() == 1
