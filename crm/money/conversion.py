"""Conversion with provenance: every converted amount names the stored rates it used, each with its value, source
and date, so that the amount times the cited rates is the figure shown, to the last digit.

One amount::

    conversion = convert(Money("900000", "CNY"), to="USD", on=date(2026, 4, 30))
    conversion.rounded()      # Money('131795.77', 'USD'): 900,000 ÷ 7.991 × 1.1702
    conversion.explain()      # "1 EUR = 7.991 CNY, inverted (ECB reference rate of 2026-04-30); 1 EUR = 1.1702 ..."

Many amounts (a dashboard): load the rates once, convert in memory::

    book = RateBook.load({"CNY", "KZT", "EUR"} | {"USD"}, start, end, policy)    # two queries
    results = [book.try_convert(m, "USD", day, policy) for m, day in rows]        # no query

Rules (DESIGN.md "Money rules"): the latest rate on or before the date, within a staleness limit per source (a
network manual rate within its stated range instead); inverse rates derived; cross rates through ONE source's
pivot (UN and manual: USD; ECB: EUR); never two sources in one conversion; the policy's source order decides which
is tried first; a manual rate scoped to one entry or agreement converts that entry only. A derived rate is kept as
an exact ratio (``Rate``: a numerator and a denominator), never cut to a number of digits, so that a sum is rounded
once, half to even, exactly: CNY 4.50 at 1 USD = 7.2 CNY is USD 0.625, which rounds to 0.62. A missing, stale or
uncovered rate is a ``ConversionError`` whose ``not_converted`` text pages show: never 0, never 1.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Context, Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.extensions import db
from crm.money.currencies import minor_units, normalise_currency
from crm.money.display import plain_decimal
from crm.money.models import NETWORK, SOURCE_LABELS, SOURCE_WORDS, ExchangeRate, RateSource
from crm.money.policy import Policy
from crm.money.providers import ecb
from crm.money.value import EXACT, Money

# How old a rate may be and still convert: ECB publishes on TARGET days (a week covers weekends and holidays),
# the UN monthly (45 days covers a late list). Manual rates hold for the range or scope the admin gives them.
STALENESS_DAYS = {RateSource.MANUAL: 31, RateSource.UN: 45, RateSource.ECB: 7, RateSource.FOREX: 7}
PIVOTS = {RateSource.MANUAL: "USD", RateSource.UN: "USD", RateSource.ECB: "EUR", RateSource.FOREX: "USD"}
# A ratio written out to read, never to compute with.
READING = Context(prec=10)


def staleness_days(source: RateSource) -> int:
    """The source's limit, overridable per deployment with MONEY_STALENESS_DAYS = {"ecb": 10, ...}."""
    overrides = current_app.config.get("MONEY_STALENESS_DAYS", {}) if has_app_context() else {}
    return int(overrides.get(str(source), STALENESS_DAYS[RateSource(source)]))


def round_exact(value: Fraction | Decimal, currency: str) -> Decimal:
    """``value`` rounded once to the currency's minor unit, half to even, exactly (Python rounds a Fraction so)."""
    digits = minor_units(currency)
    return Decimal(round(Fraction(value) * 10**digits)).scaleb(-digits)


class ConversionError(Exception):
    """An amount that could not be converted, with a reason a page can show."""

    def __init__(self, reason: str, money: Money | None = None, target: str | None = None, currency: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.money = money
        self.target = target
        # The currency whose rate is missing: what the coverage page is filtered to.
        self.currency = currency

    @property
    def not_converted(self) -> str:
        return _("not converted: %(reason)s", reason=self.reason)

    def about(self, money: Money, target: str) -> "ConversionError":
        """The same error, for another amount (errors are cached per currency pair and date)."""
        return type(self)(self.reason, money, target, self.currency)


class MissingRate(ConversionError):
    pass


class StaleRate(ConversionError):
    pass


class UncoveredCurrency(ConversionError):
    pass


class MixedSources(ConversionError):
    """Each leg of a cross rate exists, but in two sources: never combined."""


@dataclass(frozen=True, slots=True)
class Leg:
    """One stored rate a conversion used: 1 ``base`` = ``value`` ``quote``, from ``source``, effective
    ``effective_on``. ``inverted`` when the conversion runs from the quote to the base (it divides by ``value``)."""

    base: str
    quote: str
    value: Decimal
    source: str
    effective_on: date
    reference: str = ""
    inverted: bool = False
    scope: str = NETWORK

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[RateSource(self.source)])

    def words(self) -> str:
        """ "1 EUR = 7.991 CNY (ECB reference rate, 2026-04-01, divided by)", in the reader's language."""
        words = {
            "base": self.base,
            "value": plain_decimal(self.value),
            "quote": self.quote,
            "source": self.source_label,
            "day": self.effective_on,
        }
        if self.scope != NETWORK:
            kind, _colon, number = self.scope.partition(":")
            words["scope"] = (
                _("entry #%(number)s", number=number)
                if kind == "entry"
                else _("agreement #%(number)s", number=number)
                if kind == "agreement"
                else self.scope
            )
            if self.inverted:
                return _("1 %(base)s = %(value)s %(quote)s (%(source)s, for %(scope)s, %(day)s, divided by)", **words)
            return _("1 %(base)s = %(value)s %(quote)s (%(source)s, for %(scope)s, %(day)s)", **words)
        if self.inverted:
            return _("1 %(base)s = %(value)s %(quote)s (%(source)s, %(day)s, divided by)", **words)
        return _("1 %(base)s = %(value)s %(quote)s (%(source)s, %(day)s)", **words)


@dataclass(frozen=True, slots=True)
class Rate:
    """An exact ratio, ``num`` ÷ ``den``, made of one or two stored rates (``legs``): units of the target per unit."""

    num: Decimal
    den: Decimal
    legs: tuple[Leg, ...]

    @classmethod
    def of(cls, legs: Iterable[Leg]) -> "Rate":
        legs = tuple(legs)
        num = den = Decimal(1)
        for leg in legs:
            if leg.inverted:
                den = EXACT.multiply(den, leg.value)
            else:
                num = EXACT.multiply(num, leg.value)
        return cls(num, den, legs)

    @property
    def value(self) -> Fraction:
        return Fraction(self.num) / Fraction(self.den)

    def approximate(self) -> Decimal:
        """The ratio to 10 significant digits, for reading only: every figure is made from ``num`` and ``den``."""
        return READING.divide(self.num, self.den)


@dataclass(frozen=True, slots=True)
class Conversion:
    money: Money  # what was converted
    target: str
    rate: Rate | None  # None: the same currency
    requested_on: date  # the date a rate was asked for (the policy's rate date)
    source: str  # a RateSource value, "" for the same currency
    path: str  # "same currency" | "direct" | "inverse" | "via USD" | "via EUR"

    @property
    def amount(self) -> Fraction:
        """The converted amount, exact (unrounded): sum these, round once."""
        if self.rate is None:
            return Fraction(self.money.amount)
        return Fraction(EXACT.multiply(self.money.amount, self.rate.num)) / Fraction(self.rate.den)

    @property
    def legs(self) -> tuple[Leg, ...]:
        return self.rate.legs if self.rate else ()

    def factors(self) -> str:
        """How to work it out: "× 1.1702 ÷ 7.991" (multiply by each rate, divide by each inverted one)."""
        return " ".join(("÷ " if leg.inverted else "× ") + plain_decimal(leg.value) for leg in self.legs)

    @property
    def rate_on(self) -> date:
        """The effective date of the newest rate used (each leg's own date is in ``legs``)."""
        return max((leg.effective_on for leg in self.legs), default=self.requested_on)

    @property
    def reference(self) -> str:
        return "; ".join(dict.fromkeys(leg.reference for leg in self.legs if leg.reference))

    def rounded(self) -> Money:
        return Money(round_exact(self.amount, self.target), self.target)

    def unit(self) -> "Conversion":
        """The same conversion for one unit of the currency: what a total multiplies its sums by."""
        return Conversion(
            Money(1, self.money.currency), self.target, self.rate, self.requested_on, self.source, self.path
        )

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[RateSource(self.source)]) if self.source else ""

    def explain(self) -> str:
        """The rates used, each with its value, source and date: what a reader multiplies the amount by."""
        if self.rate is None:
            return f"already in {self.target}, not converted"
        return "; ".join(leg.words() for leg in self.legs)


class _Series:
    """One source's rates for one (base, quote) and scope, sorted by date."""

    __slots__ = ("dates", "rates", "references", "until")

    def __init__(self):
        self.dates, self.rates, self.references, self.until = [], [], [], []

    def latest(self, day: date) -> int | None:
        index = bisect_right(self.dates, day) - 1
        return index if index >= 0 else None


@dataclass(frozen=True)
class Scope:
    """What a conversion is for: a ledger entry and its agreement, whose scoped manual rates it may use."""

    entry_id: int | None = None
    agreement_id: int | None = None

    def keys(self) -> list[str]:
        keys = [f"entry:{self.entry_id}"] if self.entry_id else []
        return keys + ([f"agreement:{self.agreement_id}"] if self.agreement_id else [])


NO_SCOPE = Scope()


@dataclass
class _Found:
    """What one source gives for a (from, to) pair on a day: a rate, or why not: the currencies it has a rate for,
    the legs it has only too old, the pairs it lacks."""

    rate: Rate | None = None
    known: set[str] = field(default_factory=set)
    stale: list[Leg] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)


class RateBook:
    """Rates held in memory for many conversions; ``load`` reads them in two queries."""

    def __init__(self, rows: Iterable = (), last_before: dict | None = None):
        """``rows``: (source, base, quote, effective_on, rate, reference[, scope, valid_until]) in any order."""
        self._series: dict[tuple[str, str, str, str], _Series] = defaultdict(_Series)
        for row in sorted(rows, key=lambda r: r[3]):
            source, base, quote, effective_on, rate, reference, *rest = row
            scope, until = (rest + [NETWORK, None])[:2]
            series = self._series[(str(source), base, quote, scope or NETWORK)]
            series.dates.append(effective_on)
            series.rates.append(rate)
            series.references.append(reference or "")
            series.until.append(until)
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

        With a policy, ``start`` and ``end`` are transaction dates and its rate dates are loaded."""
        policy = policy or Policy.transaction_date()
        codes = {normalise_currency(c) for c in currencies}
        first, last = sorted((policy.rate_date(start), policy.rate_date(end)))
        sources = [str(s) for s in policy.sources]
        window_start = first - timedelta(days=max(staleness_days(s) for s in policy.sources))
        touches = sa.or_(ExchangeRate.base.in_(codes), ExchangeRate.quote.in_(codes))
        r = ExchangeRate
        # A manual rate holds for its range, however old it began: every one of them that reaches the window.
        in_window = sa.or_(
            r.effective_on.between(window_start, last),
            sa.and_(
                r.source == str(RateSource.MANUAL),
                r.effective_on <= last,
                sa.or_(r.valid_until.is_(None), r.valid_until >= first),
            ),
        )
        rows = db.session.execute(
            sa.select(r.source, r.base, r.quote, r.effective_on, r.rate, r.reference, r.scope, r.valid_until).where(
                touches, r.source.in_(sources), in_window
            )
        ).all()
        older = db.session.execute(
            sa.select(r.source, r.base, r.quote, sa.func.max(r.effective_on))
            .where(touches, r.source.in_(sources), r.effective_on < window_start, r.scope == NETWORK)
            .group_by(r.source, r.base, r.quote)
        ).all()
        return cls(rows, {(s, b, q): day for s, b, q, day in older})

    # -- lookups -------------------------------------------------------------------------------

    def _published(self, source: str, base: str, quote: str, day: date, scope: Scope) -> tuple[Leg | None, Leg | None]:
        """(the rate of 1 ``base`` in ``quote`` that holds on ``day``, or None; else the newest that no longer does).

        A manual rate scoped to the conversion's entry or agreement holds whatever the date; a network manual rate
        within its range; any other rate within its source's staleness limit."""
        keys = [*scope.keys(), NETWORK] if source == RateSource.MANUAL else [NETWORK]
        for key in keys:
            series = self._series.get((source, base, quote, key))
            if series is None:
                continue
            # A rate scoped to an entry or agreement converts it whatever its date: the latest one entered.
            index = series.latest(day) if key == NETWORK else len(series.dates) - 1
            if index is None:
                continue
            leg = Leg(
                base, quote, series.rates[index], source, series.dates[index], series.references[index], scope=key
            )
            if source == RateSource.MANUAL:
                until = series.until[index]
                holds = key != NETWORK or (until is not None and day <= until)
            else:
                holds = (day - leg.effective_on).days <= self._limit(RateSource(source))
            return (leg, None) if holds else (None, leg)
        older = self._last_before.get((source, base, quote))
        if older is not None and older <= day:
            return None, Leg(base, quote, Decimal(0), source, older)
        return None, None

    def _leg(self, source: str, a: str, b: str, day: date, scope: Scope) -> tuple[Leg | None, Leg | None]:
        """The rate from ``a`` to ``b`` in one source, stored either way round: the newer of the two."""
        direct, stale_direct = self._published(source, a, b, day, scope)
        inverse, stale_inverse = self._published(source, b, a, day, scope)
        if inverse is not None and (direct is None or inverse.effective_on > direct.effective_on):
            return Leg(b, a, inverse.value, source, inverse.effective_on, inverse.reference, True, inverse.scope), None
        if direct is not None:
            return direct, None
        return None, stale_direct or stale_inverse

    def _in_source(self, source: RateSource, a: str, b: str, day: date, scope: Scope) -> _Found:
        """One source's rate from ``a`` to ``b``: direct or inverse, else through its pivot (two of its own legs)."""
        leg, stale = self._leg(str(source), a, b, day, scope)
        if leg is not None:
            return _Found(Rate.of([leg]))
        pivot = PIVOTS[source]
        if pivot in (a, b):
            # Its pivot is one of the two: the source has that currency, and lacks (or has too old) the other.
            return _Found(known={pivot}, stale=[stale] if stale else [], missing=[] if stale else [(a, b)])
        found, legs = _Found(), []
        for x, y, currency in ((a, pivot, a), (pivot, b, b)):
            got, old = self._leg(str(source), x, y, day, scope)
            if got is not None:
                legs.append(got)
                found.known.add(currency)
            elif old is not None:
                found.stale.append(old)
            else:
                found.missing.append((x, y))
        return _Found(Rate.of(legs)) if len(legs) == 2 else found

    def _lookup(self, a: str, b: str, day: date, sources: tuple, scope: Scope) -> tuple[str, Rate] | ConversionError:
        found = {}
        for source in map(RateSource, sources):
            if str(source) not in self._sources and source != RateSource.ECB:
                found[source] = _Found(missing=[(a, b)])
                continue
            result = self._in_source(source, a, b, day, scope)
            if result.rate is not None:
                return str(source), result.rate
            found[source] = result
        return explain_failure(a, b, day, found)

    # -- conversion ----------------------------------------------------------------------------

    def convert(
        self, money: Money, to: str, on: date, policy: Policy | None = None, scope: Scope = NO_SCOPE
    ) -> Conversion:
        policy = policy or Policy.transaction_date()
        target = normalise_currency(to)
        if money.currency == target:
            return Conversion(money, target, None, on, "", "same currency")
        day = policy.rate_date(on)
        key = (money.currency, target, day, policy.sources, scope)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._lookup(money.currency, target, day, policy.sources, scope)
        if isinstance(found, ConversionError):
            raise found.about(money, target)
        source, rate = found
        if len(rate.legs) == 2:
            path = f"via {rate.legs[0].quote if not rate.legs[0].inverted else rate.legs[0].base}"
        else:
            path = "inverse" if rate.legs[0].inverted else "direct"
        return Conversion(money, target, rate, day, source, path)

    def try_convert(
        self, money: Money, to: str, on: date, policy: Policy | None = None, scope: Scope = NO_SCOPE
    ) -> Conversion | ConversionError:
        """The conversion, or the error to show in its place."""
        try:
            return self.convert(money, to, on, policy, scope)
        except ConversionError as error:
            return as_value(error)

    def changes_within(self, currency: str, target: str, first: date, last: date, policy: Policy) -> bool:
        """Whether the rate that converts ``currency`` to ``target`` under ``policy`` may differ between ``first`` and
        any later day up to ``last``: a rate of the policy's sources takes effect, or one stops holding, in between."""
        if policy.rate_date(first) == policy.rate_date(last):
            return False
        codes = {currency, target} | {PIVOTS[RateSource(s)] for s in policy.sources}
        for (source, base, quote, _scope), series in self._series.items():
            if source in {str(s) for s in policy.sources} and base in codes and quote in codes:
                if any(first < day <= last for day in series.dates):
                    return True
                if any(until is not None and first <= until < last for until in series.until):
                    return True
        start = self.try_convert(Money(1, currency), target, first, policy)
        end = self.try_convert(Money(1, currency), target, last, policy)
        return isinstance(start, ConversionError) != isinstance(end, ConversionError)


def explain_failure(a: str, b: str, day: date, found: dict[RateSource, _Found]) -> ConversionError:
    """One error for a conversion every source refused, in words a person can act on: two sources that each have
    one of the currencies (never combined), a rate too old with its date and the limit, the missing pair named, a
    currency the ECB does not publish."""
    for one, first in found.items():
        for other, second in found.items():
            only_one, only_other = first.known - second.known, second.known - first.known
            if only_one and only_other:
                (x,), (y,) = sorted(only_one)[:1], sorted(only_other)[:1]
                return MixedSources(
                    _(
                        "the %(one)ss have %(x)s but not %(y)s, and the %(other)ss have %(y)s but not %(x)s: the app "
                        "never combines two sources in one conversion, so a %(one)s for %(y)s (or a manual rate) is "
                        "needed",
                        one=SOURCE_WORDS[one],
                        other=SOURCE_WORDS[other],
                        x=x,
                        y=y,
                    ),
                    currency=y,
                )
    reasons: list[str] = []
    kind: type[ConversionError] = MissingRate
    lacking = ""
    for source, result in found.items():
        label = SOURCE_WORDS[source]
        gap = next((g for g in map(lambda c: ecb.coverage_gap(c, day), (a, b)) if g), None)
        if source == RateSource.ECB and gap:
            # The gap says it all: the ECB does not publish (or no longer publishes) the currency.
            kind = kind if kind is StaleRate else UncoveredCurrency
            reasons.append(gap)
            lacking = lacking or next(c for c in (a, b) if ecb.coverage_gap(c, day))
            continue
        for leg in result.stale:
            kind = StaleRate
            reasons.append(_stale(label, f"{leg.base}/{leg.quote}", leg.effective_on, day, source))
            lacking = lacking or _lacking([(leg.base, leg.quote)], a, b)
        if result.missing:
            reasons.append(
                _(
                    "no %(source)s for %(pairs)s on or before %(day)s",
                    source=label,
                    pairs=_pairs(result.missing),
                    day=day,
                )
            )
            lacking = lacking or _lacking(result.missing, a, b)
    reason = "; ".join(dict.fromkeys(reasons)) or _(
        "no rate for %(pair)s on or before %(day)s", pair=f"{a}/{b}", day=day
    )
    return kind(reason, currency=lacking or a)


def _stale(label, pair: str, effective_on: date, day: date, source: RateSource) -> str:
    if source == RateSource.MANUAL:
        return _(
            "the latest %(source)s for %(pair)s is of %(date)s, past the end of its range before %(day)s",
            source=label,
            pair=pair,
            date=effective_on,
            day=day,
        )
    return ngettext(
        "the latest %(source)s for %(pair)s is of %(date)s, more than %(num)d day before %(day)s",
        "the latest %(source)s for %(pair)s is of %(date)s, more than %(num)d days before %(day)s",
        STALENESS_DAYS[source],
        source=label,
        pair=pair,
        date=effective_on,
        day=day,
    )


def _pairs(pairs) -> str:
    return " or ".join(f"{x}/{y}" for x, y in sorted(pairs))


def _lacking(pairs, a: str, b: str) -> str:
    """The currency a missing leg is about: the one that is not a pivot."""
    for x, y in sorted(pairs):
        for code in (x, y):
            if code not in PIVOTS.values():
                return code
    return a if a not in PIVOTS.values() else b


def as_value(error: ConversionError) -> ConversionError:
    """An error returned to be shown beside a figure, without its traceback: the traceback holds the frames of
    the call and their locals, and with the error kept by whatever the caller builds (a page keeps hundreds)
    they would form cycles that live until the cycle collector walks them."""
    return error.with_traceback(None)


def convert(money: Money, to: str, on: date, policy: Policy | None = None, scope: Scope = NO_SCOPE) -> Conversion:
    """Convert one amount (two queries). For many amounts, load a ``RateBook`` once."""
    policy = policy or Policy.transaction_date()
    book = RateBook.load({money.currency, to}, on, on, policy)
    return book.convert(money, to, on, policy, scope)


def try_convert(
    money: Money, to: str, on: date, policy: Policy | None = None, scope: Scope = NO_SCOPE
) -> Conversion | ConversionError:
    try:
        return convert(money, to, on, policy, scope)
    except ConversionError as error:
        return as_value(error)
