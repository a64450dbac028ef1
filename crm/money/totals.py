"""Converted totals made from SQL buckets, with the rates each one used and what could not be converted.

Queries sum amounts in SQL per (whatever the page breaks down by, currency, month).
A ``Converter`` loads every rate the page needs into one ``RateBook`` (two queries),
asks the book once per (currency, rate date) for the conversion of a unit, and
multiplies each bucket's exact sum by that rate: the same product
``Conversion.amount`` is, done once per bucket instead of once per entry, and
equal to it to the last digit (products and sums are made ``exactly``).

A bucket that cannot be converted stays out of the converted total and is listed
as "not converted: reason" beside it, with its amount in its own currency; never 0, never 1.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crm.money.conversion import Conversion, ConversionError, RateBook
from crm.money.models import SOURCE_LABELS, RateSource
from crm.money.policy import DEFAULT_SOURCES, SOURCE_NAMES, Policy, rounding_statement
from crm.money.value import Money, exactly

# (currency, month's first day or None for undated amounts, exact sum)
Bucket = tuple[str, date | None, Decimal]

# How amounts in other currencies are converted (a page's "rates" argument).
RATE_CHOICES = {
    "month": "Rate on the first day of each entry's month (manual, UN, then ECB rates)",
    "un": "UN operational rate of each entry's month",
    "end": "Every amount at the rate of the period's last day",
}


def month_start(text: str | None) -> date | None:
    """The first day of a 'YYYY-MM' month (None for none)."""
    return date(int(text[:4]), int(text[5:7]), 1) if text else None


def rate_plan(args, fallback_on: date) -> "RatePlan | None":
    """The conversion a page is asked for by its ``currency`` and ``rates`` arguments (a dashboard's figure links
    with them), or None when it is not asked to convert or names no currency it knows."""
    from crm.money.currencies import normalise_currency

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
    """How a page converts: the target currency, the rates chosen (``filters.RATE_CHOICES``), and the date
    that stands in where an amount has none (the end of the period shown, or today)."""

    key: str
    target: str
    fallback_on: date

    @property
    def policy(self) -> Policy:
        if self.key == "un":
            return Policy.un_month()
        if self.key == "end":
            return Policy.fixed_date(self.fallback_on)
        return Policy.transaction_date()

    def rate_day(self, month: date | None) -> date:
        """The date whose rate converts a bucket of ``month``: its first day, or the fallback when undated."""
        if self.key == "end" or month is None:
            return self.fallback_on
        return month

    def statement(self) -> str:
        """The conversion policy in words, printed under every converted figure."""
        fallback = self.fallback_on.isoformat()
        if self.key == "end":
            return f"{self.policy.describe()}; {rounding_statement(self.target)}."
        if self.key == "un":
            head = self.policy.describe()
        else:
            sources = ", then ".join(SOURCE_NAMES[s] for s in DEFAULT_SOURCES)
            head = (
                "Amounts are summed per month and converted at the rate in force on the first day of their month, "
                f"or the latest before it ({sources})"
            )
        return (
            f"{head}; amounts without a date, and proposals' requested and expected amounts, at the rate of "
            f"{fallback}; {rounding_statement(self.target)}."
        )


def cite(conversions: Iterable[Conversion], target: str) -> list[str]:
    """The rates a total used, a line per currency: "USD → CNY: manual rate of 2025-03-01", with the span of the
    rate dates when there are several, every source that gave one and every path other than direct."""
    spans: dict[str, list] = {}  # currency → [first date, last date, {source: None}, {path: None}]
    for conversion in conversions:
        path = conversion.path
        if path == "same currency":
            continue
        day, span = conversion.rate_on, spans.get(conversion.money.currency)
        if span is None:
            spans[conversion.money.currency] = [day, day, {conversion.source: None}, {path: None}]
            continue
        if day < span[0]:
            span[0] = day
        elif day > span[1]:
            span[1] = day
        span[2][conversion.source] = None
        span[3][path] = None
    lines = []
    for code, (first, last, sources, paths) in sorted(spans.items()):
        named = " / ".join(SOURCE_LABELS[RateSource(source)] for source in sources)
        via = " / ".join(paths)
        dates = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        lines.append(f"{code} → {target}: {named} of {dates}" + (f" ({via})" if via != "direct" else ""))
    return lines


@dataclass
class ConvertedTotal:
    target: str
    exact: Decimal = Decimal(0)
    # Per original currency, the exact sum of every amount (converted or not): shown beside the total.
    subtotals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Per original currency that failed: the amount left out and why.
    missing: dict[str, tuple[Decimal, set[str]]] = field(default_factory=dict)
    # The conversions of a unit used (each made once per currency and rate date by the Converter), by
    # identity: what ``rate_lines`` cites. Keyed by an int, not a new (currency, date) tuple per bucket, so
    # that a page's totals hold no more objects for the cycle collector to walk than they must.
    conversions: dict[int, Conversion] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        target: str,
        buckets: dict[tuple[str, date | None], Decimal],
        unit: Callable[[tuple[str, date | None]], Conversion | ConversionError],
    ) -> "ConvertedTotal":
        """The total of ``buckets`` ((currency, month) → exact sum), each converted by ``unit((currency, month))``,
        in one loop (a network dashboard makes some 17,000 of these products)."""
        total = cls(target)
        exact, subtotals, conversions = total.exact, total.subtotals, total.conversions
        with exactly():
            for key, amount in buckets.items():
                currency = key[0]
                subtotals[currency] += amount
                conversion = unit(key)
                if isinstance(conversion, ConversionError):
                    total._leave_out(currency, amount, {conversion.reason})
                else:
                    exact += amount * conversion.rate
                    conversions[id(conversion)] = conversion
        total.exact = exact
        return total

    def add_converted(
        self,
        currency: str,
        converted: Decimal | None,
        amount: Decimal,
        left_out: Decimal | None,
        units: list[Conversion],
        errors: list[ConversionError],
    ) -> None:
        """One currency's buckets converted in SQL: what ``of`` makes of the same buckets, already summed."""
        with exactly():
            self.subtotals[currency] += amount
            if converted is not None:
                self.exact += converted
            if errors:
                self._leave_out(currency, left_out, {error.reason for error in errors})
        self.conversions.update((id(unit), unit) for unit in units)

    def _leave_out(self, currency: str, amount: Decimal, reasons: set[str]) -> None:
        """``amount`` of ``currency`` kept out of the total, for ``reasons``."""
        before, known = self.missing.get(currency, (Decimal(0), set()))
        self.missing[currency] = (before + amount, known | reasons)

    @property
    def total(self) -> Money:
        return Money(self.exact, self.target).rounded()

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def is_empty(self) -> bool:
        return not self.subtotals

    def subtotal_amounts(self) -> list[tuple[str, Decimal]]:
        """(currency, exact sum) of every currency with a sum, in code order."""
        return [(code, amount) for code, amount in sorted(self.subtotals.items()) if amount]

    def subtotal_money(self) -> list[Money]:
        return [Money(amount, code) for code, amount in self.subtotal_amounts()]

    def not_converted(self) -> list[str]:
        """ "not converted: reason" lines, one per currency left out."""
        return [
            f"{Money(amount, code)} not converted: {'; '.join(sorted(reasons))}"
            for code, (amount, reasons) in sorted(self.missing.items())
        ]

    def rate_lines(self, memo: dict | None = None) -> list[str]:
        """``cite`` of the conversions used. ``memo``, for totals citing the same conversions (a table's row,
        column and grand totals often do): kept by the caller for as long as those conversions live, since
        they are known by identity."""
        if memo is None:
            return cite(self.conversions.values(), self.target)
        key = (self.target, frozenset(self.conversions))
        lines = memo.get(key)
        if lines is None:
            lines = memo[key] = cite(self.conversions.values(), self.target)
        return lines

    def minus(self, other: "ConvertedTotal") -> "ConvertedTotal":
        """This total less ``other`` (outstanding: committed minus received), exactly, citing the rates of both."""
        if other.target != self.target:
            raise ValueError(f"Cannot take a total in {other.target} from one in {self.target}.")
        result = ConvertedTotal(self.target)
        result += self
        with exactly():
            result.exact -= other.exact
            for code, amount in other.subtotals.items():
                result.subtotals[code] -= amount
        for code, (amount, reasons) in other.missing.items():
            result._leave_out(code, -amount, reasons)
        result.conversions.update(other.conversions)
        return result

    def __iadd__(self, other: "ConvertedTotal") -> "ConvertedTotal":
        if other.target != self.target:
            raise ValueError(f"Cannot add a total in {other.target} to one in {self.target}.")
        with exactly():
            self.exact += other.exact
            for code, amount in other.subtotals.items():
                self.subtotals[code] += amount
            for code, (amount, reasons) in other.missing.items():
                self._leave_out(code, amount, reasons)
        self.conversions.update(other.conversions)
        return self


class Converter:
    """Converts buckets to the plan's target with one RateBook, loaded once for the whole page."""

    def __init__(self, plan: RatePlan, book: RateBook, keys: frozenset[tuple[str, date | None]] = frozenset()):
        self.plan = plan
        self.book = book
        self.keys = keys  # the (currency, month) buckets the rates were loaded for
        self._units: dict[tuple[str, date], Conversion | ConversionError] = {}
        # The same, by (currency, month): what a page asks thousands of times.
        self._by_month: dict[tuple[str, date | None], Conversion | ConversionError] = {}

    @classmethod
    def load(cls, plan: RatePlan, keys: Iterable[tuple[str, date | None]]) -> "Converter":
        """Load the rates for every (currency, month) in ``keys`` (two queries whatever their number)."""
        keys = frozenset((currency, month) for currency, month in keys if currency is not None)
        currencies, days = {plan.target}, {plan.fallback_on}
        for currency, month in keys:
            currencies.add(currency)
            days.add(plan.rate_day(month))
        return cls(plan, RateBook.load(currencies, min(days), max(days), plan.policy), keys)

    def rates_by_month(self) -> list[tuple[str, str, Decimal]]:
        """(currency, 'YYYY-MM' or '' when undated, rate) of every loaded (currency, month) that converts: the
        rates ``queries.converted_buckets`` multiplies by."""
        rates = []
        for currency, month in sorted(self.keys, key=lambda key: (key[0], key[1] or date.min)):
            unit = self.of_bucket((currency, month))
            if not isinstance(unit, ConversionError):
                rates.append((currency, month.strftime("%Y-%m") if month else "", unit.rate))
        return rates

    def of_bucket(self, bucket: tuple[str, date | None]) -> Conversion | ConversionError:
        """The conversion of one unit of a (currency, month) bucket's currency at its month's rate date."""
        found = self._by_month.get(bucket)
        if found is None:
            currency, month = bucket
            found = self._by_month[bucket] = self._on(currency, self.plan.rate_day(month))
        return found

    def _on(self, currency: str, day: date) -> Conversion | ConversionError:
        key = (currency, day)
        found = self._units.get(key)
        if found is None:
            found = self._units[key] = self.book.try_convert(
                Money(1, currency), self.plan.target, day, self.plan.policy
            )
        return found

    def total(self, buckets: Iterable[Bucket], *, at_fallback: bool = False) -> ConvertedTotal:
        """The converted total of ``buckets``; ``at_fallback`` converts every bucket at the fallback date."""
        sums: dict[tuple[str, date | None], Decimal] = {}
        with exactly():
            for currency, month, amount in buckets:
                if currency is not None and amount:
                    key = (currency, None if at_fallback else month)
                    sums[key] = sums.get(key, 0) + amount
        return ConvertedTotal.of(self.plan.target, sums, self._at_fallback if at_fallback else self.of_bucket)

    def _at_fallback(self, bucket: tuple[str, date | None]) -> Conversion | ConversionError:
        return self._on(bucket[0], self.plan.fallback_on)
