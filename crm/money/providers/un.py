"""UN operational rates of exchange, as UN Treasury publishes them (XML or CSV).

Each record gives a country, a currency code, the units of that currency per 1 USD and an effective date; lists
come monthly with mid-month revisions (which list only the currencies that changed). A currency used by several
countries (EUR, XOF, USD...) repeats once per country: the repeats collapse into one rate, and repeats that
disagree are an error.

What is read, by exact name (case and spaces aside; ``COLUMNS`` lists them, the import page shows them):

- XML: the published ``UN_OPERATIONAL_RATES_DATASET``, one ``UN_OPERATIONAL_RATES`` record per country with
  ``f_curr_code``, ``rate`` (units per USD), ``eff_date`` (``01 Oct 2026``, though its inline schema says dateTime)
  and ``abbrv_name``; the inline ``xs:schema``, CRLF line ends and tabs around values are ignored;
- CSV: a header line naming at least the currency code, rate and effective date columns, e.g.
  ``Country,Currency,Code,Rate,Effective Date`` (a currency's name, "Currency", is not its code).

Dates are read as 01 Oct 2026, 2026-10-01 (or with a time), 01-Oct-2026 or 01.10.2026: never guessed between day
and month.
"""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

from crm.money.providers.base import BadRate, ParsedRate, ParsedRates, currency_problem, read_rate

PIVOT = "USD"
DATE_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d.%m.%Y",
    "%Y%m%d",
)
# The column (or element) names read, lower case, for each field.
COLUMNS = {
    "code": ("f_curr_code", "currency code", "code", "iso code", "iso 4217 code"),
    "rate": ("rate", "units per usd", "rate per usd", "rate (units per usd)"),
    "effective_on": ("eff_date", "effective date", "effective_date", "effective from", "date"),
    "country": ("abbrv_name", "country", "country name"),
}
RECORD = "un_operational_rates"
EXAMPLE_CSV = (
    "Country,Currency,Code,Rate,Effective Date\r\n"
    "Kazakhstan,Tenge,KZT,505.20,01 Jun 2025\r\n"
    "China,Yuan Renminbi,CNY,7.18,01 Jun 2025\r\n"
    "Uzbekistan,Uzbekistan Sum,UZS,12650,01 Jun 2025\r\n"
)


def parse_date(text: str) -> date:
    cleaned = " ".join(text.split())
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text.strip()!r} is not a date (expected 01 Jun 2025, 2025-06-01, 01-Jun-2025 or 01.06.2025)")


def _field_for(name: str) -> str | None:
    cleaned = " ".join(name.split()).lower()
    return next((key for key, names in COLUMNS.items() if cleaned in names), None)


def _local(tag: str) -> str:
    return tag.split("}")[-1].lower()


def _records_from_xml(content: bytes) -> list[dict]:
    root = ElementTree.fromstring(content)
    records = []
    for element in root.iter():
        if _local(element.tag) != RECORD:
            continue
        record = {}
        for child in element:
            key = _field_for(_local(child.tag))
            if key and key not in record:
                record[key] = " ".join((child.text or "").split())
        records.append(record)
    return records


def _records_from_csv(content: bytes) -> list[dict]:
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    needed = {"code", "rate", "effective_on"}
    header_at = next((i for i, row in enumerate(rows) if needed <= {_field_for(c) for c in row}), None)
    if header_at is None:
        names = "; ".join(f"{key}: {', '.join(COLUMNS[key])}" for key in ("code", "rate", "effective_on"))
        raise ValueError(f"No header line names the currency code, rate and effective date columns ({names}).")
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
        is_xml = content.lstrip().lstrip(b"\xef\xbb\xbf").startswith(b"<")
        records = _records_from_xml(content) if is_xml else _records_from_csv(content)
    except (ElementTree.ParseError, UnicodeDecodeError, ValueError) as error:
        return ParsedRates(rates=[], reference=filename, problems=[f"The file could not be read: {error}"])
    if not records:
        problems.append(
            "The file holds no rates: no UN_OPERATIONAL_RATES record (XML), or no line under the header (CSV)."
        )
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
