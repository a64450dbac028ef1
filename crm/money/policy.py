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

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from crm.money.currencies import minor_units
from crm.money.models import RateSource

# Tried in this order unless a policy says otherwise: the admin's word, then the rates a UN body expects.
DEFAULT_SOURCES = (RateSource.MANUAL, RateSource.UN, RateSource.ECB, RateSource.FOREX)
# Shown on dashboards in the reader's language, and quoted in the filed report, drafted under force_locale("en").
# In a sentence ("manual rates, then UN operational rates"): the context keeps them apart from the headings' words.
SOURCE_NAMES = {
    RateSource.MANUAL: lambda: pgettext("rate sources, in a sentence", "manual rates"),
    RateSource.UN: lambda: pgettext("rate sources, in a sentence", "UN operational rates"),
    RateSource.ECB: lambda: pgettext("rate sources, in a sentence", "ECB reference rates"),
    RateSource.FOREX: lambda: pgettext("rate sources, in a sentence", "forex-python rates"),
}


def source_list(sources) -> str:
    """ "manual rates, then UN operational rates", in the reader's language."""
    names = [SOURCE_NAMES[RateSource(s)]() for s in sources]
    text = names[0] if names else ""
    for name in names[1:]:
        text = _("%(earlier)s, then %(later)s", earlier=text, later=name)
    return text


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
        sources = source_list(self.sources)
        if self.key == "fixed_date":
            return _(
                "Converted at the rates of %(day)s for every amount (%(sources)s)",
                day=self.fixed_on.isoformat(),
                sources=sources,
            )
        if self.key == "un":
            return _(
                "Converted at the UN operational rate in force on each transaction's date: the monthly list, or a "
                "mid-month revision from its effective date"
            )
        return _(
            "Converted at the rate of each transaction's date, or the latest before it (%(sources)s)", sources=sources
        )

    def statement(self, target: str | None = None) -> str:
        return _("%(policy)s; %(rounding)s.", policy=self.describe(), rounding=rounding_statement(target))


def rounding_statement(target: str | None = None) -> str:
    if target is None:
        return _("exact sums rounded once to the currency's minor unit, half to even")
    digits = minor_units(target)
    if digits == 2:
        return _("exact sums rounded once to the cent, half to even")
    if digits == 0:
        return _("exact sums rounded once to whole units, half to even")
    return ngettext(
        "exact sums rounded once to %(num)d decimal place, half to even",
        "exact sums rounded once to %(num)d decimal places, half to even",
        digits,
    )
