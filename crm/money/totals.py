"""Converted totals made from summed buckets, with the rates each one used and what could not be converted.

Queries sum amounts per (whatever the page breaks down by, currency, rate month). A ``Converter`` loads every rate
the page needs into one ``RateBook`` (two queries), asks the book once per (currency, rate date) for the rate of a
unit (``Rate``: an exact ratio of one or two stored rates), and multiplies each bucket's exact sum by it. A total
keeps its sum per denominator, exactly, and rounds once, half to even, when shown.

A total cites what it is made of (``citations``): per currency and rate, the amount converted and the stored rates
it was multiplied and divided by, each with its value, source and date, so that a reader who works the citation
out gets the figure shown, to the cent. A bucket that cannot be converted stays out of the total and is listed as
"not converted: reason" beside it, with its amount in its own currency; never 0, never 1.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.money.conversion import NO_SCOPE, Conversion, ConversionError, Leg, RateBook, round_exact
from crm.money.currencies import normalise_currency
from crm.money.policy import DEFAULT_SOURCES, Policy, rounding_statement, source_list
from crm.money.value import EXACT, Money, exactly

# (currency, the rate date of the amounts — a month's first day, a day, or None for undated ones —, exact sum)
Bucket = tuple[str, date | None, Decimal]

# How amounts in other currencies are converted (a page's "rates" argument).
RATE_CHOICES = {
    "month": _l("Rate on the first day of each entry's month (manual, UN, then ECB rates)"),
    "un": _l("UN operational rate in force on each entry's date (monthly lists and mid-month revisions)"),
    "end": _l("Every amount at the rate of the period's last day"),
}


@cache
def month_start(text: str | None) -> date | None:
    """The first day of a 'YYYY-MM' month (None for none); a page asks for a few months thousands of times."""
    return date(int(text[:4]), int(text[5:7]), 1) if text else None


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def rate_plan(args, fallback_on: date) -> "RatePlan | None":
    """The conversion a page is asked for by its ``currency`` and ``rates`` arguments (a dashboard's figure links
    with them), or None when it is not asked to convert or names no currency it knows."""
    code = (args.get("currency") or "").strip()
    if not code:
        return None
    try:
        code = normalise_currency(code)
    except ValueError:
        return None
    key = args.get("rates") if args.get("rates") in RATE_CHOICES else "month"
    return RatePlan(key, code, fallback_on)


@dataclass(frozen=True)
class RatePlan:
    """How a page converts: the target currency, the rates chosen (``RATE_CHOICES``), and the date that stands in
    where an amount has none (the end of the period shown, or today)."""

    key: str
    target: str
    fallback_on: date

    @property
    def policy(self) -> Policy:
        if self.key == "un":
            return Policy.un()
        if self.key == "end":
            return Policy.fixed_date(self.fallback_on)
        return Policy.transaction_date()

    def rate_day(self, day: date | None) -> date:
        """The date whose rate converts amounts of ``day`` (a month's first day for a month's sum): that first day
        (``month``), the day itself (``un``: a month's sum converts so only when no rate changes within it, see
        ``Converter.varying``), or the fallback (``end``, and amounts without a date)."""
        if self.key == "end" or day is None:
            return self.fallback_on
        return day.replace(day=1) if self.key == "month" else day

    def statement(self) -> str:
        """The conversion policy in words, printed under every converted figure."""
        fallback = self.fallback_on.isoformat()
        if self.key == "end":
            return _(
                "%(policy)s; %(rounding)s.", policy=self.policy.describe(), rounding=rounding_statement(self.target)
            )
        if self.key == "un":
            head = self.policy.describe()
        else:
            head = _(
                "Amounts are summed per month and converted at the rate in force on the first day of their month, "
                "or the latest before it (%(sources)s)",
                sources=source_list(DEFAULT_SOURCES),
            )
        return _(
            "%(policy)s; amounts without a date, and proposals' requested and expected amounts, at the rate of "
            "%(day)s; %(rounding)s.",
            policy=head,
            day=fallback,
            rounding=rounding_statement(self.target),
        )


@dataclass(frozen=True)
class Citation:
    """What part of a total is: ``amount`` of ``currency`` converted by ``conversion``'s rates."""

    currency: str
    amount: Decimal
    conversion: Conversion

    @property
    def legs(self) -> tuple[Leg, ...]:
        return self.conversion.legs

    @property
    def product(self) -> Fraction:
        rate = self.conversion.rate
        return Fraction(EXACT.multiply(self.amount, rate.num)) / Fraction(rate.den)

    def factors(self) -> str:
        return self.conversion.factors()

    def words(self) -> str:
        return "; ".join(leg.words() for leg in self.legs)


@dataclass
class ConvertedTotal:
    target: str
    # Per denominator of the rates used, the exact sum of amount × numerator: the total is their sum, exactly.
    sums: dict[Decimal, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Per original currency, the exact sum of every amount (converted or not): shown beside the total.
    subtotals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Per original currency that failed: the amount left out and why.
    missing: dict[str, tuple[Decimal, set[str]]] = field(default_factory=dict)
    # Per conversion of a unit used (each made once per currency and rate date by the Converter, known by identity):
    # [the conversion, the amount of its currency it converted]. What ``citations`` cites.
    parts: dict[int, list] = field(default_factory=dict)
    # The exact total, worked out when first asked for and forgotten by every change to ``sums``.
    _exact: Fraction | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        target: str,
        buckets: dict[tuple[str, date | None], Decimal],
        unit: Callable[[tuple[str, date | None]], Conversion | ConversionError],
    ) -> "ConvertedTotal":
        """The total of ``buckets`` ((currency, rate date) → exact sum), each converted by ``unit(key)``."""
        total = cls(target)
        parts = [(key[0], amount, unit(key)) for key, amount in buckets.items()]
        with exactly():  # once for the whole cell, not once per bucket
            for currency, amount, conversion in parts:
                total._add(currency, amount, conversion)
        return total

    @classmethod
    def of_conversions(cls, target: str, results: Iterable[Conversion | ConversionError]) -> "ConvertedTotal":
        """The total of single conversions (or the errors in their place)."""
        total = cls(normalise_currency(target))
        for result in results:
            money = result.money
            if money is not None:
                total.add(
                    money.currency, money.amount, result if isinstance(result, ConversionError) else result.unit()
                )
        return total

    def add(self, currency: str, amount: Decimal, unit: Conversion | ConversionError) -> None:
        """``amount`` of ``currency``, converted at ``unit`` (the conversion of one unit), or left out with its
        reason. Nothing adds nothing."""
        with exactly():
            self._add(currency, amount, unit)

    def _add(self, currency: str, amount: Decimal, unit: Conversion | ConversionError) -> None:
        """``add``, within ``exactly()``."""
        if not amount:
            return
        self._exact = None
        self.subtotals[currency] += amount
        if isinstance(unit, ConversionError):
            self._leave_out(currency, amount, {unit.reason})
            return
        if unit.rate is None:  # the target itself
            self.sums[Decimal(1)] += amount
        else:
            self.sums[unit.rate.den] += amount * unit.rate.num
        part = self.parts.get(id(unit))
        if part is None:
            self.parts[id(unit)] = [unit, amount]
        else:
            part[1] += amount

    def _leave_out(self, currency: str, amount: Decimal, reasons: set[str]) -> None:
        before, known = self.missing.get(currency, (Decimal(0), set()))
        self.missing[currency] = (before + amount, known | reasons)

    @property
    def exact(self) -> Fraction:
        """Σ num ÷ den over the rates' denominators, in integers over their least common multiple: one reduction
        at the end rather than one per term (a network total has hundreds of rates). A page shows a total, its
        rounding and its citations' check from this one figure, so it is worked out once."""
        if self._exact is None:
            self._exact = self._sum_of_terms()
        return self._exact

    def _sum_of_terms(self) -> Fraction:
        terms = []
        for den, num in self.sums.items():
            (n, d), (dn, dd) = num.as_integer_ratio(), den.as_integer_ratio()
            terms.append((n * dd, d * dn))
        common = math.lcm(*(d for _n, d in terms))
        return Fraction(sum(n * (common // d) for n, d in terms), common)

    @property
    def total(self) -> Money:
        return Money(round_exact(self.exact, self.target), self.target)

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def is_empty(self) -> bool:
        return not self.subtotals

    @property
    def converted_nothing(self) -> bool:
        """Every currency in it was left out: there is no converted figure to show, not even 0."""
        return bool(self.missing) and set(self.missing) >= {code for code, amount in self.subtotals.items() if amount}

    def subtotal_amounts(self) -> list[tuple[str, Decimal]]:
        """(currency, exact sum) of every currency with a sum, in code order."""
        return [(code, amount) for code, amount in sorted(self.subtotals.items()) if amount]

    def subtotal_money(self) -> list[Money]:
        return [Money(amount, code) for code, amount in self.subtotal_amounts()]

    def not_converted(self) -> list[str]:
        """ "not converted: reason" lines, one per currency left out."""
        from crm.money.display import format_money

        return [
            _("%(amount)s not converted: %(why)s", amount=format_money(amount, code), why="; ".join(sorted(reasons)))
            for code, (amount, reasons) in sorted(self.missing.items())
        ]

    def left_out(self) -> list[Money]:
        """What was not converted, a Money per currency."""
        return [Money(amount, code) for code, (amount, _why) in sorted(self.missing.items())]

    def missing_currencies(self) -> list[str]:
        return sorted(self.missing)

    def citations(self) -> list[Citation]:
        """Each currency and rate the total used, with the amount it converted: amount × the rates cited, summed
        exactly and rounded once, is the total."""
        cited = [Citation(conversion.money.currency, amount, conversion) for conversion, amount in self._cited()]
        return sorted(
            cited, key=lambda c: (c.currency, c.conversion.requested_on, [(leg.inverted, leg.value) for leg in c.legs])
        )

    def citation_summary(self) -> tuple[int, date | None, date | None]:
        """How many citations ``citations`` gives, and its earliest and latest rate dates: what a figure citing its
        rates in summary shows, without making and sorting them."""
        days = [conversion.requested_on for conversion, _amount in self._cited()]
        return (len(days), min(days), max(days)) if days else (0, None, None)

    def _cited(self):
        """(conversion, amount) of each part converted at a rate: those a citation names."""
        return (
            (conversion, amount) for conversion, amount in self.parts.values() if conversion.rate is not None and amount
        )

    def target_part(self) -> Decimal:
        """What was in the target currency already, not converted."""
        return sum((amount for conversion, amount in self.parts.values() if conversion.rate is None), Decimal(0))

    def rate_lines(self) -> list[str]:
        """The rates used, a line per currency and rate: "CNY: × 1.1702 ÷ 7.991 (1 EUR = ...)"."""
        lines = {f"{c.currency} → {self.target}: {c.words()}": None for c in self.citations()}
        return list(lines)

    def minus(self, other: "ConvertedTotal") -> "ConvertedTotal":
        """This total less ``other`` (outstanding: committed minus received), exactly, citing the rates of both."""
        result = ConvertedTotal(self.target)
        result._merge(self, 1)
        result._merge(other, -1)
        return result

    def __iadd__(self, other: "ConvertedTotal") -> "ConvertedTotal":
        self._merge(other, 1)
        return self

    def _merge(self, other: "ConvertedTotal", sign: int) -> None:
        """Add ``other`` (``sign`` 1) or take it away (-1): its sums, subtotals, amounts left out and the parts its
        citations name."""
        if other.target != self.target:
            raise ValueError(f"Cannot add a total in {other.target} to one in {self.target}.")
        self._exact = None
        with exactly():
            for den, num in other.sums.items():
                self.sums[den] += sign * num
            for code, amount in other.subtotals.items():
                self.subtotals[code] += sign * amount
            for code, (amount, reasons) in other.missing.items():
                self._leave_out(code, sign * amount, reasons)
            for key, (conversion, amount) in other.parts.items():
                part = self.parts.get(key)
                if part is None:
                    self.parts[key] = [conversion, sign * amount]
                else:
                    part[1] += sign * amount


@dataclass(frozen=True)
class LeftOut:
    """What the totals of one page could not convert, said once per currency: why, and the currencies to add a
    rate for (each figure only names its own amount, and points here)."""

    lines: list[str]
    currencies: list[str]

    @classmethod
    def of(cls, *totals: ConvertedTotal) -> "LeftOut":
        reasons: dict[str, set[str]] = defaultdict(set)
        for total in totals:
            for code, (_amount, why) in total.missing.items():
                reasons[code] |= why
        return cls([f"{code}: {'; '.join(sorted(why))}" for code, why in sorted(reasons.items())], sorted(reasons))


class Converter:
    """Converts buckets to the plan's target with one RateBook, loaded once for the whole page."""

    def __init__(self, plan: RatePlan, book: RateBook):
        self.plan = plan
        self.book = book
        # Per (currency, rate date, scope): the conversion of a unit, made once; and per bucket key as asked for
        # (thousands of buckets share a few dozen keys), the same conversion.
        self._units: dict[tuple, Conversion | ConversionError] = {}
        self._by_bucket: dict[tuple, Conversion | ConversionError] = {}

    @classmethod
    def load(cls, plan: RatePlan, keys: Iterable[tuple[str, date | None]]) -> "Converter":
        """Load the rates for every (currency, date) in ``keys`` (two queries whatever their number)."""
        keys = {(currency, day) for currency, day in keys if currency is not None}
        currencies, days = {plan.target}, {plan.fallback_on}
        for currency, day in keys:
            currencies.add(currency)
            days.add(plan.rate_day(day))
            if day is not None:
                days.add(month_end(day))
        return cls(plan, RateBook.load(currencies, min(days), max(days), plan.policy))

    def of_bucket(self, bucket: tuple) -> Conversion | ConversionError:
        """The conversion of one unit of a bucket's currency at its rate date, under the bucket's scope when it has
        one: ``(currency, date)`` or ``(currency, date, Scope)`` (made once per distinct key)."""
        found = self._by_bucket.get(bucket)
        if found is None:
            currency, day, *rest = bucket
            scope = rest[0] if rest else NO_SCOPE
            key = (currency, self.plan.rate_day(day), scope)
            found = self._units.get(key)
            if found is None:
                found = self._units[key] = self.book.try_convert(
                    Money(1, currency), self.plan.target, key[1], self.plan.policy, scope
                )
            self._by_bucket[bucket] = found
        return found

    def varying(self, months: Iterable[tuple[str, date]]) -> set[tuple[str, date]]:
        """The (currency, month's first day) whose rate may change within the month under the plan: their sums must
        be converted day by day (a mid-month UN revision, a manual rate's range that starts or ends mid-month)."""
        if self.plan.key != "un":
            return set()
        return {
            (currency, first)
            for currency, first in months
            if currency
            and first is not None
            and currency != self.plan.target
            and self.book.changes_within(currency, self.plan.target, first, month_end(first), self.plan.policy)
        }

    def total(self, buckets: Iterable[Bucket], *, at_fallback: bool = False) -> ConvertedTotal:
        """The converted total of ``buckets``; ``at_fallback`` converts every bucket at the fallback date."""
        sums: dict[tuple[str, date | None], Decimal] = defaultdict(Decimal)
        with exactly():
            for currency, day, amount in buckets:
                if currency is not None and amount:
                    sums[(currency, None if at_fallback else day)] += amount
        return ConvertedTotal.of(self.plan.target, sums, self.of_bucket)
