"""The one small interface every rate source answers to.

A provider turns its input (a file, a web service) into ``ParsedRates``: rates
"1 base = rate quote from effective_on" plus the problems it met. Validation,
previews and storing are the same for every source (``crm.money.services``).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies

from crm.core.types import RATE_PRECISION, RATE_SCALE
from crm.money.currencies import known_currencies

# Rates are stored exactly with RATE_SCALE decimals in RATE_PRECISION digits: anything beyond is refused.
MAX_RATE = Decimal(10) ** (RATE_PRECISION - RATE_SCALE)


@dataclass(frozen=True)
class ParsedRate:
    effective_on: date
    base: str
    quote: str
    rate: Decimal


@dataclass
class ParsedRates:
    rates: list[ParsedRate]
    reference: str
    # Lines that could not be read, in words for the admin.
    problems: list[str] = field(default_factory=list)


class BadRate(ValueError):
    """A value that cannot be stored as a rate; the message says why, for the admin."""


def read_rate(value) -> Decimal:
    """A rate from a file or a service (text, a number): positive, finite, storable exactly; else BadRate.

    Every source goes through here, so NaN, Infinity, zero, negative rates and rates with more decimals
    than the table keeps are refused the same way whatever file or service they came from.
    """
    if isinstance(value, float):
        value = repr(value)  # JSON numbers come as floats; their shortest repr is what the service wrote
    try:
        rate = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise BadRate(f"{str(value)[:40]!r} is not a number.") from None
    if not rate.is_finite():
        raise BadRate(f"{value} is not a rate.")
    if rate <= 0:
        raise BadRate(f"a rate is positive, not {value}.")
    if rate >= MAX_RATE:
        raise BadRate(f"{value} is larger than any exchange rate (at most {MAX_RATE - 1:,} units per unit).")
    scaled = rate.scaleb(RATE_SCALE)
    if scaled != scaled.to_integral_value():
        raise BadRate(f"{value} has more than {RATE_SCALE} decimal places.")
    return rate


def currency_problem(code: str) -> str | None:
    """Why ``code`` is not a currency a rate can be kept for, or None (ZZZ and <b>x</b> are refused)."""
    if code not in known_currencies():
        return f"{code[:20]!r} is not an ISO 4217 currency code."
    return None


def is_withdrawn(code: str) -> bool:
    """A code ISO 4217 once had (CYP, EEK: currencies replaced by the euro), which histories still carry.

    Not the X codes (XXX "no currency", XTS for tests, metals): those were never money to convert.
    """
    return code in list_currencies() and code not in known_currencies() and not code.startswith("X")
