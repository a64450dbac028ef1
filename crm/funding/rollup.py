"""The ledger rollup: ``ledger_rollups`` kept equal to a GROUP BY of ``ledger_entries``; dashboards read it.

Every ledger write that changes a summed field or a bucket key goes through ``apply`` (a new entry or
reversal: +1; an entry whose stage, category, unit or date changes: ``changing`` takes it out of its old
bucket and adds it to the new one), in the same transaction as the write. ``apply`` is one
``INSERT … ON CONFLICT DO UPDATE SET amount = amount + excluded.amount`` (atomic in SQL on both engines),
so two workers booking into the same bucket never lose an update, and the first entry of a bucket needs no
read first. A bucket left with no entry row is deleted, so the table is exactly what ``rebuild`` makes.
The same sums are kept at coarser grains (``GRAINS``), one upsert more each per write, so that the dashboards
read a few thousand rows instead of grouping the full grain's tens of thousands.

``rebuild`` recomputes the whole table in one INSERT … SELECT … GROUP BY: after bulk inserts that bypass the
services (the benchmark generator) and from ``flask --app wsgi funding rebuild-rollups``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.extensions import db
from crm.funding.models import (
    LedgerCategoryRollup,
    LedgerCentreRollup,
    LedgerEntry,
    LedgerKindRollup,
    LedgerRollup,
    LedgerStageRollup,
    LedgerUnitRollup,
)

KEY = ("centre_id", "stage", "category", "kind", "unit", "currency", "month")
# Each rollup table and its key (a part of KEY): the full grain and coarser ones, kept alike. The coarser ones
# are exactly the tables the dashboards show (per centre; and over every centre per category, per kind, per
# stage, per kind and unit), each read in a few thousand rows at most, none grouped at request time.
GRAINS = (
    (LedgerRollup, KEY),
    (LedgerCentreRollup, ("centre_id", "stage", "currency", "month")),
    (LedgerCategoryRollup, ("category", "stage", "currency", "month")),
    (LedgerKindRollup, ("kind", "stage", "currency", "month")),
    (LedgerStageRollup, ("stage", "currency", "month")),
    (LedgerUnitRollup, ("kind", "unit", "currency", "month")),
)
# What a grain sums with SUM's NULL rules (quantity only where the key has the kind and unit), then what it counts.
SUMS = ("amount", "quantity")
COUNTS = ("entries", "records")


def measures_of(model) -> list[str]:
    return [name for name in (*SUMS, *COUNTS) if name in model.__table__.c]


def month_text(column) -> sa.ColumnElement:
    """'YYYY-MM' of a date column, '' when NULL: the same text on SQLite and PostgreSQL."""
    return sa.func.coalesce(sa.func.substr(sa.cast(column, sa.String), 1, 7), "")


@dataclass(frozen=True)
class Share:
    """What one entry adds to its bucket: the bucket's key and the measures."""

    key: tuple
    amount: Decimal | None
    quantity: Decimal | None
    entries: int

    @classmethod
    def of(cls, entry: LedgerEntry) -> "Share":
        booked = entry.booked_on
        key = (
            entry.centre_id,
            str(entry.stage),
            str(entry.category),
            str(entry.kind),
            entry.unit or "",
            entry.currency or "",
            str(booked)[:7] if booked else "",
        )
        is_reversal = entry.reverses_id is not None or entry.reverses is not None
        return cls(key, entry.amount, entry.quantity, 0 if is_reversal else 1)


def _signed(value: Decimal | None, sign: int) -> Decimal | None:
    return None if value is None else value * sign


def upsert(dialect_name: str, model, key: dict, measures: dict) -> sa.Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET amount = amount + excluded.amount, …`` for one bucket: atomic
    in SQL, so that concurrent writers into the same bucket add up (the second waits for the first's row lock
    on PostgreSQL; SQLite has one writer at a time)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = model.__table__
    stmt = dialect.insert(table).values(**key, **measures)

    def plus(name: str) -> sa.ColumnElement:
        # SUM's NULL rules: a bucket's sum stays NULL until one of its entries has a value.
        mine, theirs = table.c[name], stmt.excluded[name]
        return sa.case((theirs.is_(None), mine), else_=sa.func.coalesce(mine, 0) + theirs)

    summed = {name: plus(name) for name in SUMS if name in measures}
    return stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_=summed
        | {
            "entries": table.c.entries + stmt.excluded.entries,
            "records": table.c.records + stmt.excluded.records,
        },
    )


def _add(*changes: tuple[Share, int]) -> None:
    """Add each (share, sign) to its bucket in every grain: one upsert each, and when taking out, one DELETE
    of the bucket if no entry row is left in it. Grain by grain and, within a grain, in key order, so that two
    transactions moving entries between the same buckets take their row locks in the same order (no deadlock)."""
    dialect_name = db.session.get_bind().dialect.name
    for model, key in GRAINS:
        table = model.__table__
        rows = []
        for share, sign in changes:
            whole = dict(zip(KEY, share.key, strict=True))
            rows.append(({k: whole[k] for k in key}, share, sign))
        for bucket, share, sign in sorted(rows, key=lambda row: tuple(str(v) for v in row[0].values())):
            measures = {
                "amount": _signed(share.amount, sign),
                "quantity": _signed(share.quantity, sign),
                "entries": share.entries * sign,
                "records": sign,
            }
            measures = {name: measures[name] for name in measures_of(model)}
            db.session.execute(upsert(dialect_name, model, bucket, measures))
            if sign < 0:
                where = [table.c[k] == v for k, v in bucket.items()]
                db.session.execute(sa.delete(table).where(*where, table.c.records <= 0))


def apply(entry: LedgerEntry, sign: int = 1) -> None:
    """Add (``sign`` 1) or take out (-1) one flushed entry's share of its bucket."""
    _add((Share.of(entry), sign))


@contextmanager
def changing(entry: LedgerEntry) -> Iterator[None]:
    """Around a change of an entry's fields: move its share from the bucket it was in to the one it ends in."""
    before = Share.of(entry)
    yield
    after = Share.of(entry)
    if after != before:
        _add((before, -1), (after, 1))


def rebuild() -> int:
    """Recompute every grain from the entries (per table, one DELETE and one INSERT … SELECT … GROUP BY);
    returns the number of buckets of the full grain."""
    e = LedgerEntry
    columns = {
        "centre_id": e.centre_id,
        "stage": e.stage,
        "category": e.category,
        "kind": e.kind,
        "unit": e.unit,
        "currency": sa.func.coalesce(e.currency, ""),
        "month": month_text(e.booked_on),
    }
    sums = {
        "amount": sa.func.sum(e.amount),
        "quantity": sa.func.sum(e.quantity),
        "entries": sa.func.count().filter(e.reverses_id.is_(None)),
        "records": sa.func.count(),
    }
    for model, key in GRAINS:
        keys = [columns[k] for k in key]
        measures = measures_of(model)
        table = model.__table__
        db.session.execute(sa.delete(table))
        select = sa.select(*keys, *(sums[name] for name in measures)).group_by(*keys)
        db.session.execute(sa.insert(table).from_select([*key, *measures], select))
    return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerRollup))


# The name the CLI and the benchmark use.
rebuild_rollups = rebuild
