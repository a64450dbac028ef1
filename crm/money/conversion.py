"""Conversion with provenance: every converted amount names its rate, the date used, the source and the path.

One amount::

    conversion = convert(Money("900000", "CNY"), to="USD", on=date(2025, 6, 30))
    conversion.rounded()      # Money('126540.00', 'USD')
    conversion.explain()      # "1 CNY = 0.1406 USD, ECB reference rate of 2025-06-30 (via EUR)"

Many amounts (a dashboard): load the rates once, convert in memory, sum exactly::

    book = RateBook.load({"CNY", "KZT", "EUR"} | {"USD"}, start, end, policy)    # two queries
    results = [book.try_convert(m, "USD", day, policy) for m, day in rows]        # no query
    total = sum_converted(results, "USD")     # total rounded once; per-currency subtotals; failures kept
    total = book.total(rows_of_amount_currency_date, "USD", policy)   # the same, with no object per row

Rules (DESIGN.md "Money rules"): the latest rate on or before the date, within a staleness
limit per source; inverse rates derived; cross rates through ONE source's pivot (UN and
manual: USD; ECB: EUR); never two sources in one conversion; the policy's source order
decides which is tried first. A missing, stale or uncovered rate is a ``ConversionError``
whose ``not_converted`` text pages show: never 0, never 1.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Context, Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context

from crm.extensions import db
from crm.money.currencies import normalise_currency
from crm.money.models import SOURCE_LABELS, ExchangeRate, RateSource
from crm.money.policy import Policy, rounding_statement
from crm.money.providers import ecb
from crm.money.value import EXACT, Money, exactly

# A rate worked out from stored ones (an inverse, a cross rate through a pivot) has 28 significant digits, in
# whatever context it is asked for: it is the rate then used, cited and multiplied exactly (``EXACT``).
DERIVED = Context(prec=28)

# How old a rate may be and still convert: ECB publishes on TARGET days (a week covers weekends and
# holidays), the UN monthly (45 days covers a late list), manual rates as long as the admin allows.
STALENESS_DAYS = {RateSource.MANUAL: 31, RateSource.UN: 45, RateSource.ECB: 7, RateSource.FOREX: 7}
PIVOTS = {RateSource.MANUAL: "USD", RateSource.UN: "USD", RateSource.ECB: "EUR", RateSource.FOREX: "USD"}


def staleness_days(source: RateSource) -> int:
    """The source's limit, overridable per deployment with MONEY_STALENESS_DAYS = {"manual": 90, ...}."""
    overrides = current_app.config.get("MONEY_STALENESS_DAYS", {}) if has_app_context() else {}
    return int(overrides.get(str(source), STALENESS_DAYS[RateSource(source)]))


class ConversionError(Exception):
    """An amount that could not be converted, with a reason a page can show."""

    def __init__(self, reason: str, money: Money | None = None, target: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.money = money
        self.target = target

    @property
    def not_converted(self) -> str:
        return f"not converted: {self.reason}"

    def about(self, money: Money, target: str) -> "ConversionError":
        """The same error, for another amount (errors are cached per currency pair and date)."""
        return type(self)(self.reason, money, target)


class MissingRate(ConversionError):
    pass


class StaleRate(ConversionError):
    pass


class UncoveredCurrency(ConversionError):
    pass


def display_rate(rate: Decimal) -> str:
    """Enough digits to read the rate: at least 4 decimals, about 6 significant digits."""
    decimals = max(4, 5 - rate.adjusted())
    text = f"{rate:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class Conversion:
    money: Money  # what was converted
    target: str
    amount: Decimal  # unrounded: sum these, round once
    rate: Decimal  # units of target per 1 unit of money.currency
    requested_on: date  # the date a rate was asked for (the policy's rate date)
    rate_on: date  # the date of the rate actually used
    source: str  # a RateSource value, "" for the same currency
    path: str  # "same currency" | "direct" | "inverse" | "via USD" | "via EUR"
    reference: str = ""

    def rounded(self) -> Money:
        return Money(self.amount, self.target).rounded()

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[RateSource(self.source)] if self.source else ""

    def explain(self) -> str:
        if self.path == "same currency":
            return f"already in {self.target}, not converted"
        text = (
            f"1 {self.money.currency} = {display_rate(self.rate)} {self.target}, {self.source_label} of {self.rate_on}"
        )
        if self.rate_on != self.requested_on:
            text += f" (latest before {self.requested_on})"
        if self.path != "direct":
            text += f" ({self.path})"
        return text


@dataclass(frozen=True, slots=True)
class _Leg:
    rate: Decimal
    rate_on: date
    reference: str
    path: str


class _Series:
    """One source's rates for one (base, quote), sorted by date."""

    __slots__ = ("dates", "rates", "references")

    def __init__(self):
        self.dates, self.rates, self.references = [], [], []

    def latest(self, day: date) -> int | None:
        index = bisect_right(self.dates, day) - 1
        return index if index >= 0 else None


class RateBook:
    """Rates held in memory for many conversions; ``load`` reads them in two queries."""

    def __init__(self, rows: Iterable = (), last_before: dict | None = None):
        """``rows``: (source, base, quote, effective_on, rate, reference) in any order."""
        self._series: dict[tuple[str, str, str], _Series] = defaultdict(_Series)
        for source, base, quote, effective_on, rate, reference in sorted(rows, key=lambda r: r[3]):
            series = self._series[(str(source), base, quote)]
            series.dates.append(effective_on)
            series.rates.append(rate)
            series.references.append(reference or "")
        # (source, base, quote) → date of the latest rate older than the loaded window: names a stale rate.
        self._last_before = last_before or {}
        self._sources = {key[0] for key in self._series} | {key[0] for key in self._last_before}
        self._memo: dict = {}
        self._limits: dict[RateSource, int] = {}

    def _limit(self, source: RateSource) -> int:
        if source not in self._limits:
            self._limits[source] = staleness_days(source)
        return self._limits[source]

    @classmethod
    def load(cls, currencies: Iterable[str], start: date, end: date, policy: Policy | None = None) -> "RateBook":
        """The rates converting ``currencies`` (among themselves, through the pivots) for dates ``start``..``end``.

        With a policy, ``start`` and ``end`` are transaction dates and its rate dates are loaded.
        """
        policy = policy or Policy.transaction_date()
        codes = {normalise_currency(c) for c in currencies}
        first, last = sorted((policy.rate_date(start), policy.rate_date(end)))
        sources = [str(s) for s in policy.sources]
        window_start = first - timedelta(days=max(staleness_days(s) for s in policy.sources))
        touches = sa.or_(ExchangeRate.base.in_(codes), ExchangeRate.quote.in_(codes))
        r = ExchangeRate
        rows = db.session.execute(
            sa.select(r.source, r.base, r.quote, r.effective_on, r.rate, r.reference).where(
                touches, r.source.in_(sources), r.effective_on.between(window_start, last)
            )
        ).all()
        older = db.session.execute(
            sa.select(r.source, r.base, r.quote, sa.func.max(r.effective_on))
            .where(touches, r.source.in_(sources), r.effective_on < window_start)
            .group_by(r.source, r.base, r.quote)
        ).all()
        return cls(rows, {(s, b, q): day for s, b, q, day in older})

    # -- lookups -------------------------------------------------------------------------------

    def _latest(self, source: str, base: str, quote: str, day: date) -> _Leg | None:
        series = self._series.get((source, base, quote))
        index = series.latest(day) if series else None
        if index is not None:
            return _Leg(series.rates[index], series.dates[index], series.references[index], "direct")
        older = self._last_before.get((source, base, quote))
        if older is not None and older <= day:
            return _Leg(Decimal(0), older, "", "stale")  # only ever reported as stale, never used
        return None

    def _leg(self, source: str, a: str, b: str, day: date) -> _Leg | None:
        direct = self._latest(source, a, b, day)
        inverse = self._latest(source, b, a, day)
        if inverse is not None and (direct is None or inverse.rate_on > direct.rate_on):
            if inverse.path == "stale":
                return inverse
            return _Leg(DERIVED.divide(1, inverse.rate), inverse.rate_on, inverse.reference, "inverse")
        return direct

    def _in_source(self, source: RateSource, a: str, b: str, day: date) -> _Leg:
        limit = self._limit(source)
        label = SOURCE_LABELS[source]
        if str(source) not in self._sources and source != RateSource.ECB:
            raise MissingRate(f"no {label} for {a}/{b} on or before {day}")

        def fresh(leg: _Leg | None) -> bool:
            return leg is not None and leg.path != "stale" and (day - leg.rate_on).days <= limit

        leg = self._leg(source, a, b, day)
        if fresh(leg):
            return leg
        pivot = PIVOTS[source]
        tried = [leg]
        if pivot not in (a, b):
            first, second = self._leg(source, a, pivot, day), self._leg(source, pivot, b, day)
            if fresh(first) and fresh(second):
                reference = first.reference if first.reference == second.reference else ""
                reference = reference or "; ".join(filter(None, (first.reference, second.reference)))
                rate_on = min(first.rate_on, second.rate_on)
                return _Leg(DERIVED.multiply(first.rate, second.rate), rate_on, reference, f"via {pivot}")
            tried += [first, second]
        if source == RateSource.ECB:
            for currency in (a, b):
                gap = ecb.coverage_gap(currency, day)
                if gap:
                    raise UncoveredCurrency(gap)
        found = [t for t in tried if t is not None]
        if found:
            oldest = min(t.rate_on for t in found)
            raise StaleRate(f"the latest {label} for {a}/{b} is of {oldest}, older than {limit} days before {day}")
        raise MissingRate(f"no {label} for {a}/{b} on or before {day}")

    def _lookup(self, a: str, b: str, day: date, sources: tuple) -> tuple[RateSource, _Leg] | ConversionError:
        errors = []
        for source in sources:
            try:
                return source, self._in_source(RateSource(source), a, b, day)
            except ConversionError as error:
                errors.append(as_value(error))
        return combined(errors, a, b, day, sources)

    # -- conversion ----------------------------------------------------------------------------

    def convert(self, money: Money, to: str, on: date, policy: Policy | None = None) -> Conversion:
        policy = policy or Policy.transaction_date()
        target = normalise_currency(to)
        if money.currency == target:
            return Conversion(money, target, money.amount, Decimal(1), on, on, "", "same currency")
        day = policy.rate_date(on)
        key = (money.currency, target, day, policy.sources)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._lookup(money.currency, target, day, policy.sources)
        if isinstance(found, ConversionError):
            raise found.about(money, target)
        source, leg = found
        amount = EXACT.multiply(money.amount, leg.rate)
        return Conversion(money, target, amount, leg.rate, day, leg.rate_on, str(source), leg.path, leg.reference)

    def total(self, rows: Iterable[tuple[Decimal, str, date]], to: str, policy: Policy | None = None) -> "ConvertedSum":
        """Sum many (amount, currency, date) rows in ``to`` without building an object per row.

        The same exact arithmetic as ``sum_converted`` over ``convert`` (one rate per currency and
        rate date, unrounded products summed, rounded once); amounts that cannot be converted are
        kept per currency and date as ``ConversionError``s carrying their summed amount.
        """
        policy = policy or Policy.transaction_date()
        target = normalise_currency(to)
        rates: dict[tuple[str, date], Decimal | ConversionError] = {}
        originals: dict[str, Decimal] = defaultdict(Decimal)
        converted: dict[str, Decimal] = defaultdict(Decimal)
        failed: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        exact = Decimal(0)
        with exactly():
            for amount, currency, day in rows:
                key = (currency, day)
                rate = rates.get(key)
                if rate is None:
                    rate = rates[key] = self._rate_or_error(currency, target, day, policy)
                originals[currency] += amount
                if isinstance(rate, ConversionError):
                    failed[key] += amount
                    continue
                value = amount * rate
                converted[currency] += value
                exact += value
        result = ConvertedSum(target, exact)
        result.subtotals = {code: Money(amount, code) for code, amount in sorted(originals.items())}
        result.converted_subtotals = dict(sorted(converted.items()))
        result.failures = [rates[key].about(Money(amount, key[0]), target) for key, amount in sorted(failed.items())]
        return result

    def _rate_or_error(self, currency: str, target: str, day: date, policy: Policy) -> Decimal | ConversionError:
        try:
            return self.convert(Money(1, currency), target, day, policy).rate
        except ConversionError as error:
            return as_value(error)

    def try_convert(
        self, money: Money, to: str, on: date, policy: Policy | None = None
    ) -> Conversion | ConversionError:
        """The conversion, or the error to show in its place."""
        try:
            return self.convert(money, to, on, policy)
        except ConversionError as error:
            return as_value(error)


def as_value(error: ConversionError) -> ConversionError:
    """An error returned to be shown beside a figure, without its traceback: the traceback holds the frames of
    the call and their locals, and with the error kept by whatever the caller builds (a page keeps hundreds)
    they would form cycles that live until the cycle collector walks them."""
    return error.with_traceback(None)


def combined(errors: list[ConversionError], a: str, b: str, day: date, sources) -> ConversionError:
    """One error for a conversion every source refused: the most useful reasons, the most telling type."""
    telling = [e for e in errors if not isinstance(e, MissingRate)]
    if not telling:
        names = ", ".join(SOURCE_LABELS[RateSource(s)] + "s" for s in sources)
        return MissingRate(f"no rate for {a}/{b} on or before {day} ({names})")
    kind = StaleRate if any(isinstance(e, StaleRate) for e in telling) else UncoveredCurrency
    return kind("; ".join(e.reason for e in telling))


def convert(money: Money, to: str, on: date, policy: Policy | None = None) -> Conversion:
    """Convert one amount (two queries). For many amounts, load a ``RateBook`` once."""
    policy = policy or Policy.transaction_date()
    book = RateBook.load({money.currency, to}, on, on, policy)
    return book.convert(money, to, on, policy)


def try_convert(money: Money, to: str, on: date, policy: Policy | None = None) -> Conversion | ConversionError:
    try:
        return convert(money, to, on, policy)
    except ConversionError as error:
        return as_value(error)


@dataclass
class ConvertedSum:
    """An exact total in one currency, rounded once, with what it is made of."""

    target: str
    exact: Decimal
    # Per original currency: the exact sum of the amounts (converted or not), shown beside the total.
    subtotals: dict[str, Money] = field(default_factory=dict)
    converted_subtotals: dict[str, Decimal] = field(default_factory=dict)
    failures: list[ConversionError] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return Money(self.exact, self.target).rounded()

    @property
    def is_complete(self) -> bool:
        return not self.failures

    @property
    def rounding_rule(self) -> str:
        return rounding_statement(self.target)


def sum_converted(results: Iterable[Conversion | ConversionError], target: str) -> ConvertedSum:
    """Sum unrounded converted amounts exactly; amounts that failed stay out of the total and are listed."""
    target = normalise_currency(target)
    result = ConvertedSum(target, Decimal(0))
    originals: dict[str, Decimal] = defaultdict(Decimal)
    converted: dict[str, Decimal] = defaultdict(Decimal)
    for item in results:
        if isinstance(item, ConversionError):
            result.failures.append(item)
            if item.money is not None:
                originals[item.money.currency] += item.money.amount
            continue
        if item.target != target:
            raise ValueError(f"A conversion to {item.target} cannot be summed in {target}.")
        with exactly():
            originals[item.money.currency] += item.money.amount
            converted[item.money.currency] += item.amount
            result.exact += item.amount
    result.subtotals = {code: Money(amount, code) for code, amount in sorted(originals.items())}
    result.converted_subtotals = dict(sorted(converted.items()))
    return result
