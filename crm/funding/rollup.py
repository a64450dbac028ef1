"""The ledger rollups: ``ledger_rollups`` kept equal to a GROUP BY of the live entries and tranches; dashboards
read it and its coarser grains.

What each record adds to its bucket (``shares``): an entry its amount and quantity as pledged or committed (by its
stage) in its booked month, converted at its rate month; each of its tranches the amount received, in the month
received. A voided entry or tranche adds nothing.

Every ledger write goes through ``changing(entry)`` (or ``apply`` for a new entry): the entry's shares, tranches
included, before and after the change are compared and only the differences are written, in the same
transaction, each as one ``INSERT … ON CONFLICT DO UPDATE SET amount = amount + excluded.amount`` (atomic in SQL
on both engines, so two workers booking into one bucket never lose an update). A bucket left with no record row
is deleted, so every grain is exactly what ``rebuild`` makes. Sums are ``ExactSum``: unbounded, so no centre's
amounts can overflow a bucket another centre writes to.

``rebuild`` recomputes every grain from the records in one INSERT … SELECT … GROUP BY each: after bulk inserts
that bypass the services (the benchmark generator) and from ``flask --app wsgi funding rebuild-rollups``.
"""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.core import versions
from crm.core.types import exact_sum
from crm.extensions import db
from crm.funding.models import (
    LedgerCategoryRollup,
    LedgerCentreRollup,
    LedgerEntry,
    LedgerRollup,
    LedgerUnitRollup,
    Measure,
    Stage,
    Tranche,
)

KEY = ("centre_id", "measure", "category", "kind", "unit", "currency", "month", "rate_month")
# Each rollup table and its key (a part of KEY): the full grain and coarser ones, kept alike. The coarser ones
# are the tables the dashboards show, each read in a few thousand rows at most, none grouped at request time.
GRAINS = (
    (LedgerRollup, KEY),
    (LedgerCentreRollup, ("centre_id", "kind", "measure", "currency", "month", "rate_month")),
    (LedgerCategoryRollup, ("category", "kind", "measure", "currency", "month", "rate_month")),
    (LedgerUnitRollup, ("kind", "unit", "measure", "currency", "month", "rate_month")),
)
# A rollup moves only with the entries and tranches it sums, whose own writes bump their centre's version.
versions.unversioned(*(model.__table__ for model, _ in GRAINS))
SUMS = ("amount", "quantity")
COUNTS = ("entries", "records")


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def month_text(column) -> sa.ColumnElement:
    """'YYYY-MM' of a date column: the same text on SQLite and PostgreSQL as ``month_of`` writes."""
    return sa.func.substr(sa.cast(column, sa.String), 1, 7)


@dataclass
class Measures:
    amount: Decimal | None = None
    quantity: Decimal | None = None
    entries: int = 0
    records: int = 0

    def add(self, amount: Decimal | None, quantity: Decimal | None, entries: int, records: int, sign: int = 1):
        if amount is not None:
            self.amount = (self.amount or 0) + sign * amount
        if quantity is not None:
            self.quantity = (self.quantity or 0) + sign * quantity
        self.entries += sign * entries
        self.records += sign * records


def shares(entry: LedgerEntry) -> dict[tuple, Measures]:
    """Bucket key (KEY) → what ``entry`` and its live tranches add to it."""
    found: dict[tuple, Measures] = defaultdict(Measures)
    if entry.voided_at is not None:
        return found
    head = (entry.centre_id,)
    kinds = (str(entry.category), str(entry.kind), entry.unit or "")
    measure = str(Stage(entry.stage).measure)
    key = (*head, measure, *kinds, entry.currency or "", month_of(entry.booked_on), month_of(entry.rate_on))
    found[key].add(entry.amount, entry.quantity, 0 if entry.withdraws_id or entry.withdraws else 1, 1)
    for tranche in entry.tranches:
        if tranche.voided_at is None:
            month = month_of(tranche.received_on)
            found[(*head, str(Measure.RECEIVED), *kinds, tranche.currency, month, month)].add(
                tranche.amount, None, 1, 1
            )
    return found


def upsert(dialect_name: str, model, key: dict, measures: dict) -> sa.Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET amount = amount + excluded.amount, …`` for one bucket: atomic
    in SQL, so that concurrent writers into the same bucket add up (the second waits for the first's row lock
    on PostgreSQL; SQLite has one writer at a time)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = model.__table__
    stmt = dialect.insert(table).values(**key, **measures)

    def plus(name: str) -> sa.ColumnElement:
        # SUM's NULL rules: a bucket's sum stays NULL until one of its records has a value.
        mine, theirs = table.c[name], stmt.excluded[name]
        if dialect_name == "sqlite":
            return sa.func.exact_add(mine, theirs)
        return sa.case((theirs.is_(None), mine), else_=sa.func.coalesce(mine, 0) + theirs)

    return stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_={name: plus(name) for name in SUMS} | {name: table.c[name] + stmt.excluded[name] for name in COUNTS},
    )


def _write(changes: dict[tuple, Measures]) -> None:
    """Add each bucket's change to every grain: one upsert each, and where records left it, one DELETE of the
    bucket if none is left. Grain by grain and, within a grain, in key order, so that two transactions moving
    records between the same buckets take their row locks in the same order (no deadlock)."""
    dialect_name = db.session.get_bind().dialect.name
    for model, grain in GRAINS:
        table = model.__table__
        merged: dict[tuple, Measures] = defaultdict(Measures)
        for full, change in changes.items():
            whole = dict(zip(KEY, full, strict=True))
            merged[tuple(whole[k] for k in grain)].add(change.amount, change.quantity, change.entries, change.records)
        for bucket_key in sorted(merged, key=lambda k: tuple(str(v) for v in k)):
            change = merged[bucket_key]
            if not (change.amount or change.quantity or change.entries or change.records):
                continue
            bucket = dict(zip(grain, bucket_key, strict=True))
            values = {"amount": change.amount, "quantity": change.quantity}
            values |= {"entries": change.entries, "records": change.records}
            db.session.execute(upsert(dialect_name, model, bucket, values))
            if change.records < 0:
                where = [table.c[k] == v for k, v in bucket.items()]
                db.session.execute(sa.delete(table).where(*where, table.c.records <= 0))


def _difference(before: dict[tuple, Measures], after: dict[tuple, Measures]) -> dict[tuple, Measures]:
    changes: dict[tuple, Measures] = defaultdict(Measures)
    for key, measures in before.items():
        changes[key].add(measures.amount, measures.quantity, measures.entries, measures.records, -1)
    for key, measures in after.items():
        changes[key].add(measures.amount, measures.quantity, measures.entries, measures.records)
    return changes


def apply(entry: LedgerEntry) -> None:
    """Add one new, flushed entry (and its tranches) to its buckets."""
    _write(_difference({}, shares(entry)))


@contextmanager
def changing(entry: LedgerEntry) -> Iterator[None]:
    """Around any change of an entry or its tranches (an edit, a tranche recorded or voided, a void): move what it
    adds from the buckets it was in to those it ends in."""
    before = shares(entry)
    yield
    _write(_difference(before, shares(entry)))


RECORD_COLUMNS = (*KEY, "day", *SUMS, *COUNTS, "rate_day", "entry_id", "agreement_id")


def records_select(extra=(), only=None) -> sa.CompoundSelect:
    """Every live record as a row of KEY, its date (``day``) and the measures: what the grains sum; then the date
    of its rate (``rate_day``) and the entry and agreement whose scoped manual rates it may use (a withdrawal's:
    the entry it withdraws). ``extra``: conditions on ``LedgerEntry`` (an entry's, for its tranches too);
    ``only(currency, rate_day)``: a condition on each record's own currency and rate date."""
    e, t = LedgerEntry, Tranche
    entry_only, tranche_only = ([only(e.currency, e.rate_on)], [only(t.currency, t.received_on)]) if only else ([], [])
    measure = sa.case((e.stage == Stage.PLEDGED, str(Measure.PLEDGED)), else_=str(Measure.COMMITTED))
    stored = [sa.type_coerce(c, sa.String) for c in (e.category, e.kind)]
    entries = sa.select(
        e.centre_id,
        measure,
        *stored,
        e.unit,
        sa.func.coalesce(e.currency, ""),
        month_text(e.booked_on),
        month_text(e.rate_on),
        e.booked_on,
        e.amount,
        e.quantity,
        sa.case((e.withdraws_id.is_(None), 1), else_=0),
        sa.literal(1),
        e.rate_on,
        sa.func.coalesce(e.withdraws_id, e.id),
        e.agreement_id,
    ).where(e.voided_at.is_(None), *extra, *entry_only)
    tranches = (
        sa.select(
            t.centre_id,
            sa.literal(str(Measure.RECEIVED)),
            *stored,
            e.unit,
            t.currency,
            month_text(t.received_on),
            month_text(t.received_on),
            t.received_on,
            t.amount,
            sa.null(),
            sa.literal(1),
            sa.literal(1),
            t.received_on,
            e.id,
            e.agreement_id,
        )
        .join(e, e.id == t.entry_id)
        .where(t.voided_at.is_(None), e.voided_at.is_(None), *extra, *tranche_only)
    )
    labelled = sa.union_all(entries, tranches).subquery("live_records")
    return sa.select(*(column.label(name) for column, name in zip(labelled.c, RECORD_COLUMNS, strict=True)))


def rebuild() -> int:
    """Recompute every grain from the records (per table, one DELETE and one INSERT … SELECT … GROUP BY);
    returns the number of buckets of the full grain."""
    columns = records_select().subquery("records").c
    for model, grain in GRAINS:
        keys = [columns[k] for k in grain]
        measures = [exact_sum(columns["amount"]), exact_sum(columns["quantity"])]
        measures += [sa.func.sum(columns["entries"]), sa.func.sum(columns["records"])]
        table = model.__table__
        db.session.execute(sa.delete(table))
        select = sa.select(*keys, *measures).group_by(*keys)
        db.session.execute(sa.insert(table).from_select([*grain, *SUMS, *COUNTS], select))
    return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerRollup))


# The name the CLI and the benchmark use.
rebuild_rollups = rebuild
