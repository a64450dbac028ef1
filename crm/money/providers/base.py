"""The one small interface every rate source answers to.

A provider turns its input (a file, a web service) into ``ParsedRates``: rates
"1 base = rate quote from effective_on" plus the problems it met. Validation,
previews and storing are the same for every source (``crm.money.services``).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


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
