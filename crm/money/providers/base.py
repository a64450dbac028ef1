"""The one small interface every rate source answers to.

A provider turns its input (a file, a web service) into ``ParsedRates``: rates
"1 base = rate quote from effective_on" plus the problems it met. Validation,
previews and storing are the same for every source (``crm.money.services``).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import list_currencies
from flask_babel import gettext as _

from crm.money.amounts import AmountError, check_rate
from crm.money.currencies import known_currencies


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
    """A rate from a file or a service (text, a number), checked by the one rate rule every form uses too
    (``check_rate``: positive, finite, below MAX_RATE, storable exactly); else BadRate."""
    if isinstance(value, float):
        value = repr(value)  # JSON numbers come as floats; their shortest repr is what the service wrote
    text = str(value).strip().replace(",", "")
    try:
        return check_rate(text, _("The rate %(text)s", text=repr(text[:40])))
    except AmountError as error:
        raise BadRate(str(error)) from None


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
