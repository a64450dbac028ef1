"""A plain rates table (CSV): ``effective_on,base,quote,rate[,reason]``, one rate per line, stored as manual rates.

For rates a centre gets from its bank or a central bank; every line needs a reason, or the
file's name stands as the reason.
"""

import csv
import io
from datetime import date

from crm.money.currencies import normalise_currency
from crm.money.providers.base import ParsedRate, ParsedRates, read_rate

COLUMNS = ("effective_on", "base", "quote", "rate")


def parse(content: bytes, filename: str) -> ParsedRates:
    try:
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as error:
        return ParsedRates(rates=[], reference=filename, problems=[f"The file could not be read: {error}"])
    if not rows or any(column not in rows[0] for column in COLUMNS):
        return ParsedRates(rates=[], reference=filename, problems=[f"The header must be {','.join(COLUMNS)}[,reason]."])
    rates, problems = [], []
    for line_no, row in enumerate(rows, start=2):
        try:
            base, quote = normalise_currency(row["base"]), normalise_currency(row["quote"])
            day = date.fromisoformat((row["effective_on"] or "").strip())
            rate = read_rate(row["rate"] or "")
        except ValueError as error:  # BadRate too
            problems.append(f"Line {line_no}: {error}")
            continue
        if base == quote:
            problems.append(f"Line {line_no}: a rate is between two different currencies.")
            continue
        rates.append(ParsedRate(day, base, quote, rate))
    return ParsedRates(rates=rates, reference=filename, problems=problems)
