"""UN operational rates of exchange, as UN Treasury publishes them (XML or CSV).

Each record gives a country, a currency code, the units of that currency per 1 USD
and an effective date; lists come monthly with mid-month revisions. A currency used by
several countries (EUR, XOF, USD...) repeats once per country: the repeats collapse
into one rate, and repeats that disagree are an error.

Element and column names are matched loosely (``f_curr_code`` / "Currency code",
``rate`` / "Rate", ``effective_date`` / "Effective date", ``f_ctry_name`` / "Country")
because the published layouts have varied; dates are read as ISO (2025-06-01),
01-Jun-2025, 01.06.2025 or 1 June 2025 — never guessed between day and month.
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

from crm.money.providers.base import BadRate, ParsedRate, ParsedRates, currency_problem, read_rate

PIVOT = "USD"
DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d-%b-%y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%Y%m%d")
FIELDS = {
    "code": re.compile(r"(curr.*code|^code$|currency$|iso)", re.I),
    "rate": re.compile(r"rate", re.I),
    "effective_on": re.compile(r"date|effective", re.I),
    "country": re.compile(r"country|ctry", re.I),
}


def parse_date(text: str) -> date:
    cleaned = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (expected 2025-06-01, 01-Jun-2025, 01.06.2025 or 1 June 2025)")


def _field_for(name: str) -> str | None:
    name = name.strip()
    for key in ("effective_on", "code", "country", "rate"):
        if FIELDS[key].search(name):
            return key
    return None


def _records_from_xml(content: bytes) -> list[dict]:
    root = ElementTree.fromstring(content)
    records = []
    for element in root.iter():
        children = list(element)
        if not children or any(len(child) for child in children):
            continue
        record = {}
        for child in children:
            key = _field_for(child.tag.split("}")[-1])
            if key and key not in record:
                record[key] = (child.text or "").strip()
        if "code" in record and "rate" in record:
            records.append(record)
    return records


def _records_from_csv(content: bytes) -> list[dict]:
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, row in enumerate(rows) if sum(_field_for(c) is not None for c in row) >= 3), None)
    if header_at is None:
        raise ValueError("No header line naming the currency code, rate and effective date columns.")
    keys = [_field_for(c) for c in rows[header_at]]
    records = []
    for row in rows[header_at + 1 :]:
        if not any(cell.strip() for cell in row):
            continue
        record = {}
        for key, cell in zip(keys, row, strict=False):
            if key and key not in record:
                record[key] = cell.strip()
        records.append(record)
    return records


def parse(content: bytes, filename: str) -> ParsedRates:
    """UN rates (1 USD = rate units) from an XML or CSV file; repeats per country collapsed."""
    problems: list[str] = []
    try:
        is_xml = filename.lower().endswith(".xml") or content.lstrip().startswith(b"<")
        records = _records_from_xml(content) if is_xml else _records_from_csv(content)
    except (ElementTree.ParseError, UnicodeDecodeError, ValueError) as error:
        return ParsedRates(rates=[], reference=filename, problems=[f"The file could not be read: {error}"])
    if not records:
        problems.append("The file holds no rates (no record with a currency code and a rate).")
    seen: dict[tuple[str, date], tuple[Decimal, str]] = {}
    for number, record in enumerate(records, start=1):
        where = f"Record {number} ({record.get('country') or record.get('code') or '?'})"
        code = (record.get("code") or "").strip().upper()
        if problem := currency_problem(code):
            problems.append(f"{where}: {problem}")
            continue
        try:
            effective_on = parse_date(record.get("effective_on") or "")
        except ValueError as error:
            problems.append(f"{where}: {error}.")
            continue
        try:
            rate = read_rate(record.get("rate", ""))
        except BadRate as error:
            problems.append(f"{where}: the rate of {code}: {error}")
            continue
        if code == PIVOT and rate != 1:
            problems.append(f"{where}: USD must be 1 in a list of units per US dollar, not {rate}.")
            continue
        earlier = seen.get((code, effective_on))
        if earlier and earlier[0] != rate:
            problems.append(
                f"{where}: {code} is {rate} here but {earlier[0]} for {earlier[1]} on the same date; "
                "one currency has one UN rate."
            )
            continue
        seen.setdefault((code, effective_on), (rate, record.get("country") or code))
    rates = [ParsedRate(day, PIVOT, code, rate) for (code, day), (rate, _) in sorted(seen.items()) if code != PIVOT]
    return ParsedRates(rates=rates, reference=filename, problems=problems)
