"""The ledger's read model: what counts in a period (``crm.core.periods``), for its list pages, the dashboards and
the report alike. GROUP BYs, never a walk over rows.

An entry counts by its booked date, a withdrawal by the date it was withdrawn (so it nets in that period), a
tranche by the date received; voided records count nowhere. Amounts stay per currency; a converted total is made
from these buckets by the caller (``crm.money.totals``).

Three figures (``Measure``): pledged (entries at the stage pledged), committed (entries committed or received) and
received (tranches); outstanding is committed minus received, as shown beside them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.centres.models import Centre
from crm.core.due import DueItem, dated_until
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span, read_span
from crm.core.types import exact_sum
from crm.extensions import db
from crm.funding.models import (
    Category,
    FundingNeed,
    Kind,
    LedgerEntry,
    Measure,
    MobilisationStrategy,
    NeedStatus,
    Purpose,
    Stage,
    Tranche,
)
from crm.funding.rollup import GRAINS, records_select
from crm.money.conversion import Scope
from crm.money.models import ExchangeRate
from crm.money.totals import ConvertedTotal, Converter, RatePlan, month_end, month_start


def live(stmt: sa.Select) -> sa.Select:
    return stmt.where(LedgerEntry.voided_at.is_(None))


# --- the list's filters ---------------------------------------------------------------------------

FILTERS = {"category": Category, "kind": Kind, "purpose": Purpose, "stage": Stage, "measure": Measure}
# The list filters that are keys of the ledger rollups (purpose and stage are not: a list filtered by them sums
# the records themselves).
ROLLUP_FILTERS = frozenset({"category", "kind", "measure", "unit"})


@dataclass(frozen=True)
class LedgerFilters:
    """What a list of the ledger (and a dashboard's figure linking to it) is filtered by."""

    centre_ids: frozenset[int] | None = None  # the centres the reader may see; None: every centre
    centre: str = ""  # one centre's code
    span: Span = field(default_factory=Span)
    chosen: tuple[tuple[str, object], ...] = ()  # (filter key, enum member) in FILTERS order

    @classmethod
    def from_args(cls, args, centre_ids, periods=()) -> "LedgerFilters":
        """From a request's arguments; unknown values are ignored, a bad date raises ``SpanError``."""
        chosen = []
        for key, enum in FILTERS.items():
            raw = args.get(key)
            if raw in {m.value for m in enum}:
                chosen.append((key, enum(raw)))
        if args.get("headline") in HEADLINES:
            chosen.append(("headline", args["headline"]))
        if args.get("unit"):
            chosen.append(("unit", args["unit"][:100]))
        code = (args.get("centre") or "").strip()
        ids = None if centre_ids is None else frozenset(centre_ids)
        return cls(ids, code, read_span(args, periods), tuple(chosen))

    @property
    def values(self) -> dict:
        return dict(self.chosen)

    def entry_conditions(self) -> list[sa.ColumnElement]:
        """Conditions on ``LedgerEntry`` other than its date (they apply to an entry's tranches as well)."""
        e = LedgerEntry
        conditions = [] if self.centre_ids is None else [e.centre_id.in_(sorted(self.centre_ids))]
        if self.centre:
            conditions.append(e.centre_id.in_(sa.select(Centre.id).where(Centre.code == self.centre)))
        for key, value in self.chosen:
            if key == "measure":
                conditions.append(stage_of(value))
            elif key == "headline":
                conditions += [headline_of() == value, *mobilised()]
            else:
                conditions.append(getattr(e, key) == value)
        return conditions


# The rollup measures of the entries a measure filter selects: committed entries and the money received on them.
MEASURED = {Measure.PLEDGED: (Measure.PLEDGED,), Measure.COMMITTED: (Measure.COMMITTED, Measure.RECEIVED)}
MEASURED[Measure.RECEIVED] = MEASURED[Measure.COMMITTED]


def matches(column, value) -> sa.ColumnElement:
    """``column`` equal to ``value``, or in it when it is a tuple (stored values compared)."""
    if isinstance(value, tuple):
        return column.in_([str(v) for v in value])
    return column == value


def stage_of(measure: Measure) -> sa.ColumnElement:
    """The entries a measure sums (received: those whose money arrives as tranches)."""
    if measure == Measure.PLEDGED:
        return LedgerEntry.stage == Stage.PLEDGED
    return LedgerEntry.stage != Stage.PLEDGED


def entries(filters: LedgerFilters) -> sa.Select:
    """The live entries of a list: withdrawals among them, dated in the span."""
    stmt = live(sa.select(LedgerEntry)).where(*filters.entry_conditions(), filters.span.within(LedgerEntry.booked_on))
    return stmt.order_by(LedgerEntry.booked_on.desc(), LedgerEntry.id.desc())


def entry_count(filters: LedgerFilters) -> int:
    """How many entries a list holds, its withdrawals not counted: as the dashboards count entries."""
    ids = entries(filters).where(LedgerEntry.withdraws_id.is_(None)).with_only_columns(LedgerEntry.id).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery()))


def receipts(filters: LedgerFilters) -> sa.Select:
    """The live tranches received in the span, of the entries the other filters select."""
    return (
        sa.select(Tranche)
        .join(LedgerEntry, LedgerEntry.id == Tranche.entry_id)
        .where(
            Tranche.voided_at.is_(None),
            LedgerEntry.voided_at.is_(None),
            LedgerEntry.kind == Kind.FINANCIAL,
            *filters.entry_conditions(),
            filters.span.within(Tranche.received_on),
        )
        .order_by(Tranche.received_on.desc(), Tranche.id.desc())
    )


@dataclass(frozen=True)
class Row:
    """A sum of ``totals``, shaped as a ``ledger_buckets`` row."""

    measure: str
    currency: str
    rate_month: str
    amount: Decimal


@dataclass
class Totals:
    """Per measure, the exact sums per (currency, rate month) of what a list shows; per currency, and outstanding
    (committed minus received), worked out from them; and what they were read with, to convert them alike."""

    buckets: dict[Measure, dict[tuple[str, str], Decimal]]
    filters: "LedgerFilters" = None
    scope: frozenset | None = None
    where: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)

    def of(self, measure: Measure | str) -> dict[str, Decimal]:
        """The exact sums per currency of a measure, or of "outstanding"."""
        if measure == "outstanding":
            return self.outstanding
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for (code, _), amount in self.buckets.get(measure, {}).items():
            sums[code] += amount
        return {code: amount for code, amount in sorted(sums.items()) if amount}

    def converted(self, plan: RatePlan) -> dict[str, ConvertedTotal]:
        """Pledged, committed, received and outstanding converted as ``plan`` says, as the dashboards' figures are:
        each bucket at its rate month, the records that need their own rate one by one."""
        converter = Converter.load(plan, {(code, month_start(month)) for (code, month) in self._keys()})
        varying = {
            (code, first.isoformat()[:7])
            for code, first in converter.varying({(code, month_start(month)) for code, month in self._keys()})
        }
        special = own_rate_records(self.filters.span, self.scope, varying, where=self.where, extra=self.extra)
        rows = [
            Row(measure, code, month, amount)
            for measure, sums in self.buckets.items()
            for (code, month), amount in sums.items()
        ]
        cells = cells_of(rows, special, lambda row: None)
        result = {
            str(measure): ConvertedTotal.of(plan.target, cells.get((None, str(measure)), {}), converter.of_bucket)
            for measure in Measure
        }
        result["outstanding"] = result[str(Measure.COMMITTED)].minus(result[str(Measure.RECEIVED)])
        return result

    def _keys(self) -> set[tuple[str, str]]:
        return {key for sums in self.buckets.values() for key in sums}

    @property
    def outstanding(self) -> dict[str, Decimal]:
        committed, received = self.of(Measure.COMMITTED), self.of(Measure.RECEIVED)
        result = {code: committed.get(code, 0) - received.get(code, 0) for code in committed.keys() | received}
        return {code: amount for code, amount in sorted(result.items()) if amount}


def totals(filters: LedgerFilters) -> Totals:
    """What ``entries`` and ``receipts`` of these filters sum to, per measure, currency and rate month, as the
    dashboards' figures linking to them count: from the rollups when every filter is one of their keys."""
    where = {
        key: MEASURED[value] if key == "measure" else value for key, value in filters.chosen if key in ROLLUP_FILTERS
    }
    extra = [] if len(where) == len(filters.chosen) else filters.entry_conditions()
    scope = filters.centre_ids
    if filters.centre:
        chosen = set(db.session.scalars(sa.select(Centre.id).where(Centre.code == filters.centre)))
        scope = frozenset(chosen if scope is None else chosen & scope)
    buckets: dict[Measure, dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for measure, currency, rate_month, amount, _ in ledger_buckets(
        filters.span, scope, ("measure",), where=where, extra=extra
    ):
        if currency and amount:
            buckets[Measure(measure)][(currency, rate_month)] += amount
    return Totals(buckets, filters, scope, where, extra)


# --- reading the rollups over a period ----------------------------------------------------------


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_spans(span: Span) -> tuple[bool, str | None, str | None, list[tuple[date | None, date | None]]]:
    """How a span splits between the rollups (whole months) and the records (the days of a month it cuts).

    Returns whether whole months are in the span, the first and last of them ('YYYY-MM', None when unbounded),
    and the date ranges (inclusive, None unbounded) to read from the records themselves."""
    lo, hi = span.starts_on, span.ends_on
    first = None if lo is None else (lo if lo.day == 1 else _month_after(lo))
    ends_a_month = hi is None or _month_after(hi) - timedelta(days=1) == hi
    last_end = hi if ends_a_month else hi.replace(day=1) - timedelta(days=1)
    if first is not None and last_end is not None and first > last_end:
        return False, None, None, [(lo, hi)]
    edges = []
    if lo is not None and lo < first:
        edges.append((lo, first - timedelta(days=1)))
    if hi is not None and hi > last_end:
        edges.append((last_end + timedelta(days=1), hi))
    return True, first and first.strftime("%Y-%m"), last_end and last_end.strftime("%Y-%m"), edges


def grain_for(keys, scoped: bool):
    """The coarsest rollup table that has ``keys`` and, when ``scoped`` (centres named), the centre."""
    needed = set(keys) | ({"centre_id"} if scoped else set())
    for model, grain in sorted(GRAINS, key=lambda item: len(item[1])):
        if needed <= set(grain):
            return model, grain
    raise ValueError(f"No rollup has {sorted(needed)}.")


def _stored_value(column: sa.ColumnElement) -> sa.ColumnElement:
    """An enum column read as the text it stores."""
    return sa.type_coerce(column, sa.String()).label(column.key) if isinstance(column.type, sa.Enum) else column


def bucket_rows(
    span: Span, centre_ids, keys: list[str], *, where: dict | None = None, extra=(), units: bool = False
) -> sa.Select | sa.CompoundSelect:
    """The rows to sum (``keys``, currency, month, rate_month, amount, quantity when ``units``, entries): the buckets
    of the coarsest rollup that has the keys, for the whole months in the span, plus, when the span cuts a month,
    that month's records of its days, one row each. With ``extra`` conditions on the entries (filters the
    rollups are not keyed by), every row comes from the records."""
    where = where or {}
    measures = ("currency", "month", "rate_month", "amount", *(("quantity",) if units else ()), "entries")
    if extra:
        return _records(Span(span.starts_on, span.ends_on), centre_ids, keys, where, extra, measures)
    model, _ = grain_for([*keys, *where], centre_ids is not None)
    whole, first, last, edges = _month_spans(span)
    if not whole:
        months = sa.false()
    else:
        months = sa.and_(model.month >= first if first else sa.true(), model.month <= last if last else sa.true())
    rollup = sa.select(*(getattr(model, name) for name in (*keys, *measures))).where(
        months, *(matches(getattr(model, key), value) for key, value in where.items())
    )
    if centre_ids is not None:
        rollup = rollup.where(model.centre_id.in_(sorted(centre_ids)))
    if not edges:
        return rollup
    cuts = [_records(Span(a, b), centre_ids, keys, where, (), measures) for a, b in edges]
    return sa.union_all(rollup, *cuts)


def _records(span: Span, centre_ids, keys, where: dict, extra, measures) -> sa.Select:
    """The live records dated in ``span`` (one row each), as the rollups would sum them."""
    records = records_select(extra=extra).subquery("records")
    stmt = sa.select(*(records.c[name] for name in (*keys, *measures))).where(
        span.within(records.c.day),
        *(matches(records.c[key], value if isinstance(value, tuple) else str(value)) for key, value in where.items()),
    )
    if centre_ids is not None:
        stmt = stmt.where(records.c.centre_id.in_(sorted(centre_ids)))
    return stmt


def ledger_buckets(
    span: Span, centre_ids, keys: tuple[str, ...], *, where: dict | None = None, extra=(), units: bool = False
) -> list[sa.Row]:
    """Sums per ``keys`` (any of KEY: centre_id, measure, category, kind, unit, month), currency and rate month.

    Rows: *keys, currency (None for goods or time not valued), rate_month ('YYYY-MM'), amount, entries (entries
    and tranches, withdrawals not counted), and with ``units`` the quantities. Keys come as their stored values
    ('committed', not ``Measure.COMMITTED``): a StrEnum member equals and hashes as its value. ``where`` holds
    rollup keys to filter on, ``extra`` conditions on the entries themselves. Read from the maintained rollup of
    the coarsest grain that has the keys, never from every entry unless ``extra`` asks for it.
    """
    names = list(keys)
    source = bucket_rows(span, centre_ids, names, where=where, extra=extra, units=units).subquery("buckets")
    c = source.c
    columns = [_stored_value(c[name]) for name in names]
    measures = [
        exact_sum(c.amount).label("amount"),
        sa.type_coerce(sa.func.sum(c.entries), sa.Integer).label("entries"),
    ]
    if units:
        measures.append(exact_sum(c.quantity, 4).label("quantity"))
    currency = sa.func.nullif(c.currency, "").label("currency")
    stmt = sa.select(*columns, currency, c.rate_month, *measures).group_by(*columns, c.currency, c.rate_month)
    # Core rows on the session's connection: thousands of buckets, no ORM entity among them.
    return db.session.connection().execute(stmt).all()


# --- records a month's sum cannot convert -----------------------------------------------------------


def own_rate_records(span: Span, centre_ids, varying: set[tuple[str, str]], *, where=None, extra=()) -> list:
    """The records (as ``rollup.records_select`` rows) that cannot be converted within their month's sum: those a
    manual rate scoped to their entry or agreement converts (a withdrawal: the entry it withdraws), and those of a
    (currency, rate month) in ``varying``, whose rate changes within the month. One statement, whatever is found:
    the choice is made on each record's own columns, so that the live records are made of the few chosen and not
    of the whole ledger."""
    scoped_entries = sa.select(ExchangeRate.scope_entry_id).where(ExchangeRate.scope_entry_id.is_not(None))
    scoped_agreements = sa.select(ExchangeRate.scope_agreement_id).where(ExchangeRate.scope_agreement_id.is_not(None))
    e = LedgerEntry
    scoped = sa.union(
        sa.select(e.id).where(e.withdraws_id.is_(None), e.id.in_(scoped_entries)),
        sa.select(e.id).where(e.withdraws_id.in_(scoped_entries)),
        sa.select(e.id).where(e.agreement_id.in_(scoped_agreements)),
    )

    def only(currency, rate_day) -> sa.ColumnElement:
        months = [
            sa.and_(currency == code, rate_day.between(month_start(month), month_end(month_start(month))))
            for code, month in sorted(varying)
        ]
        return sa.or_(e.id.in_(scoped), *months)

    c = records_select(extra=extra, only=only).subquery("records").c
    stmt = sa.select(c).where(
        span.within(c.day), *(matches(c[key], _stored(value)) for key, value in (where or {}).items())
    )
    if centre_ids is not None:
        stmt = stmt.where(c.centre_id.in_(sorted(centre_ids)))
    return db.session.execute(stmt).all()


def _stored(value):
    return value if isinstance(value, tuple) else str(value)


def cells_of(rows, special, row_of) -> dict[tuple, dict[tuple, Decimal]]:
    """(row, measure) → {bucket: exact sum}, the buckets a ``Converter`` converts: (currency, rate month's first
    day) for the sums of ``ledger_buckets`` rows, and for each of the ``special`` records (``own_rate_records``)
    its own (currency, rate day, scope), taken out of its month's sum."""
    cells: dict[tuple, dict[tuple, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        if row.currency and row.amount:
            cells[(row_of(row), row.measure)][(row.currency, month_start(row.rate_month))] += row.amount
    for record in special:
        if record.currency and record.amount:
            cell = cells[(row_of(record), record.measure)]
            cell[(record.currency, month_start(record.rate_month))] -= record.amount
            cell[(record.currency, record.rate_day, Scope(record.entry_id, record.agreement_id))] += record.amount
    return {key: {bucket: amount for bucket, amount in buckets.items() if amount} for key, buckets in cells.items()}


# --- the report's figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceTotal:
    """One bucket of the ledger: the sum of amounts and quantities of live entries sharing these keys."""

    category: Category
    kind: Kind
    purpose: Purpose
    stage: Stage
    currency: str | None  # None: goods, services or time without a valuation
    unit: str  # "" for money
    amount: Decimal | None
    quantity: Decimal | None
    entries: int


def resource_totals(centre_id: int, span: Span = Span()) -> list[ResourceTotal]:
    """Per (category, kind, purpose, stage, currency, unit): sums of amount and quantity of the entries booked in
    the span (withdrawals netted in their own period), and the number of entries (withdrawals not counted)."""
    e = LedgerEntry
    keys = (e.category, e.kind, e.purpose, e.stage, e.currency, e.unit)
    stmt = (
        live(
            sa.select(
                *keys, exact_sum(e.amount), exact_sum(e.quantity), sa.func.count().filter(e.withdraws_id.is_(None))
            )
        )
        .where(e.centre_id == centre_id, span.within(e.booked_on))
        .group_by(*keys)
        .order_by(*keys)
    )
    return [ResourceTotal(*row) for row in db.session.execute(stmt)]


def counted_entries() -> sa.ColumnElement:
    """How many entries a GROUP BY holds, withdrawals not counted (they are part of the entry they withdraw)."""
    return sa.func.count().filter(LedgerEntry.withdraws_id.is_(None))


def sum_by_currency(totals: list[ResourceTotal], **keys) -> dict[str, Decimal]:
    """Amounts per currency of the buckets matching ``keys`` (e.g. category=Category.HOST_INSTITUTION)."""
    result: dict[str, Decimal] = defaultdict(Decimal)
    for row in totals:
        if row.currency and all(getattr(row, key) == value for key, value in keys.items()):
            result[row.currency] += row.amount
    return {code: amount for code, amount in result.items() if amount}


# Part III's headline figures: a partition of the money committed (pledges are not yet mobilised). Each entry
# falls in exactly one, by the first rule that takes it, so that the figures add up to the total mobilised.
HEADLINES = {
    "institutional_support": "institutional support",
    "project_funding": "project funding",
    "other_funding": "other financial support",
}


def headline_of() -> sa.ColumnElement:
    """The headline an entry's money counts in: the host institution's money is institutional support; other money
    for project activities is project funding; the rest is other financial support."""
    e = LedgerEntry
    return sa.case(
        (e.category == Category.HOST_INSTITUTION, "institutional_support"),
        (e.purpose == Purpose.PROJECT_ACTIVITIES, "project_funding"),
        else_="other_funding",
    )


def mobilised() -> list[sa.ColumnElement]:
    """Money mobilised: financial entries committed or received (withdrawals net them in their own period)."""
    return [LedgerEntry.kind == Kind.FINANCIAL, LedgerEntry.stage != Stage.PLEDGED]


def headline_figures(centre_id: int, span: Span = Span()) -> dict[str, dict[str, Decimal]]:
    """Part III's figures per currency: every headline of ``HEADLINES``, and the total mobilised they add up to."""
    headline = headline_of()
    stmt = (
        live(sa.select(headline, LedgerEntry.currency, exact_sum(LedgerEntry.amount)))
        .where(LedgerEntry.centre_id == centre_id, span.within(LedgerEntry.booked_on), *mobilised())
        .group_by(headline, LedgerEntry.currency)
    )
    figures: dict[str, dict[str, Decimal]] = {key: defaultdict(Decimal) for key in (*HEADLINES, "total")}
    for key, currency, amount in db.session.execute(stmt):
        if amount:
            figures[key][currency] += amount
            figures["total"][currency] += amount
    return {key: {c: a for c, a in sorted(sums.items()) if a} for key, sums in figures.items()}


def received_by_entry(entry_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Per entry of a list page: the amounts received per currency (one query)."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        sa.select(Tranche.entry_id, Tranche.currency, exact_sum(Tranche.amount))
        .where(Tranche.entry_id.in_(entry_ids), Tranche.voided_at.is_(None))
        .group_by(Tranche.entry_id, Tranche.currency)
    )
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for entry_id, code, amount in rows:
        if amount:
            result[entry_id][code] = amount
    return dict(result)


def withdrawn_ids(entry_ids: list[int]) -> set[int]:
    """The entries of a list page that have a live withdrawal (one query)."""
    if not entry_ids:
        return set()
    return set(
        db.session.scalars(live(sa.select(LedgerEntry.withdraws_id)).where(LedgerEntry.withdraws_id.in_(entry_ids)))
    )


# The list's filters a need has: it has a centre and a purpose, but no category, kind, stage or date booked.
NEED_FILTERS = frozenset({"purpose"})


def needs_apply(filters: "LedgerFilters") -> bool:
    """Whether the needs table can be filtered as the list is: not when a filter a need does not have is chosen
    (a need is neither pledged nor committed), or a period (a need is not booked)."""
    return not filters.span.is_bounded and all(key in NEED_FILTERS for key, _ in filters.chosen)


def open_needs(centre_ids: set[int] | None, filters: "LedgerFilters | None" = None) -> list[FundingNeed]:
    """The open needs of these centres, with the list's purpose filter (see ``needs_apply``)."""
    stmt = sa.select(FundingNeed).where(FundingNeed.status == NeedStatus.OPEN).order_by(FundingNeed.id)
    if centre_ids is not None:
        stmt = stmt.where(FundingNeed.centre_id.in_(centre_ids))
    if filters is not None and "purpose" in filters.values:
        stmt = stmt.where(FundingNeed.purpose == filters.values["purpose"])
    return db.session.scalars(stmt).all()


def due_items(centre_ids, until: date | None) -> list[DueItem]:
    """Money expected (``LedgerEntry.expected_on``) up to ``until`` (None: all), late ones included: live entries
    not received in full and not withdrawals; one query."""
    stmt = live(sa.select(LedgerEntry)).where(
        LedgerEntry.expected_on.is_not(None), LedgerEntry.withdraws_id.is_(None), LedgerEntry.stage != Stage.RECEIVED
    )
    entries = db.session.scalars(dated_until(stmt, LedgerEntry, LedgerEntry.expected_on, centre_ids, until)).unique()
    return [
        DueItem.of(
            entry,
            uid=f"tranche-expected-{entry.id}",
            kind=_l("Tranche expected"),
            title=entry.purpose_detail or entry.description or entry.purpose.label,
            due=PartialDate(entry.expected_on),
            endpoint="funding.show",
            record_args=(("entry_id", entry.id),),
            detail=" · ".join(
                part for part in (entry.source.display_name if entry.source else "", str(entry.stage.label)) if part
            ),
        )
        for entry in entries
    ]


def strategy_of(centre_id: int) -> MobilisationStrategy | None:
    """The centre's resource mobilisation strategy with its sources and steps (three statements), or None."""
    return db.session.scalar(sa.select(MobilisationStrategy).where(MobilisationStrategy.centre_id == centre_id))
