"""Conversion policies: which rate date and which sources, in words printed beside every converted figure.

    policy = Policy.transaction_date()                  # the rate of each transaction's day
    policy = Policy.fixed_date(period.ends_on)          # every amount at one date (end of a reporting period)
    policy = Policy.un()                                # the UN operational rate in force on each transaction's day
    policy.statement("USD")   # "Converted at ...; exact sums rounded once to the cent, half to even."

``policy.rate_date(day)`` is the date whose rate converts an amount dated ``day``:
dashboards group amounts by (currency, rate_date) in SQL and convert the groups.
"""

from dataclasses import dataclass
from datetime import date

from crm.money.currencies import minor_units
from crm.money.models import RateSource

# Tried in this order unless a policy says otherwise: the admin's word, then the rates a UN body expects.
DEFAULT_SOURCES = (RateSource.MANUAL, RateSource.UN, RateSource.ECB, RateSource.FOREX)
SOURCE_NAMES = {source: f"{source.label}s" for source in RateSource}


@dataclass(frozen=True)
class Policy:
    key: str  # "transaction_date" | "fixed_date" | "un"
    sources: tuple[RateSource, ...] = DEFAULT_SOURCES
    fixed_on: date | None = None

    @classmethod
    def transaction_date(cls, sources=DEFAULT_SOURCES) -> "Policy":
        return cls("transaction_date", tuple(RateSource(s) for s in sources))

    @classmethod
    def fixed_date(cls, on: date, sources=DEFAULT_SOURCES) -> "Policy":
        return cls("fixed_date", tuple(RateSource(s) for s in sources), on)

    @classmethod
    def un(cls) -> "Policy":
        """UN operational rates as UN Treasury defines them: a rate applies from its effective date until a newer
        one for that currency, so a mid-month revision counts from its own date."""
        return cls("un", (RateSource.UN,))

    def rate_date(self, day: date) -> date:
        if self.key == "fixed_date":
            return self.fixed_on
        return day

    def describe(self) -> str:
        sources = ", then ".join(SOURCE_NAMES[s] for s in self.sources)
        if self.key == "fixed_date":
            return f"Converted at the rates of {self.fixed_on.isoformat()} for every amount ({sources})"
        if self.key == "un":
            return (
                "Converted at the UN operational rate in force on each transaction's date: the monthly list, or a "
                "mid-month revision from its effective date"
            )
        return f"Converted at the rate of each transaction's date, or the latest before it ({sources})"

    def statement(self, target: str | None = None) -> str:
        return f"{self.describe()}; {rounding_statement(target)}."


def rounding_statement(target: str | None = None) -> str:
    if target is None:
        unit = "the currency's minor unit"
    else:
        digits = minor_units(target)
        unit = "the cent" if digits == 2 else "whole units" if digits == 0 else f"{digits} decimal places"
    return f"exact sums rounded once to {unit}, half to even"
