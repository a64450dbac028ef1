"""Reads of the ledger for its pages, the report and the dashboards: GROUP BYs, never a walk over rows.

Totals include reversals, so a reversed entry and its reversal net to nothing. Amounts stay per currency;
a converted total is made from these buckets by the caller (crm.money.conversion.RateBook).

Period rule (as in crm.proposals.queries): an entry counts for a reporting period when its booked date falls
in it, or when it has none (the source did not say when; the seeded report figures). A tranche counts when
received in the period.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from crm.centres.models import Centre, ReportingPeriod
from crm.extensions import db
from crm.funding.models import (
    Category,
    FundingNeed,
    Kind,
    LedgerCentreRollup,
    LedgerEntry,
    LedgerRollup,
    NeedStatus,
    Purpose,
    Stage,
    Tranche,
)


def in_period(stmt: sa.Select, period: ReportingPeriod | None) -> sa.Select:
    if period is None:
        return stmt
    return stmt.where(
        sa.or_(LedgerEntry.booked_on.between(period.starts_on, period.ends_on), LedgerEntry.booked_on.is_(None))
    )


@dataclass(frozen=True)
class ResourceTotal:
    """One bucket of the ledger: the sum of amounts and quantities of entries sharing these keys."""

    category: Category
    kind: Kind
    purpose: Purpose
    stage: Stage
    currency: str | None  # None: goods, services or time without a valuation
    unit: str  # "" for money
    amount: Decimal | None
    quantity: Decimal | None
    entries: int


def resource_totals(centre_id: int, period: ReportingPeriod | None = None) -> list[ResourceTotal]:
    """Per (category, kind, purpose, stage, currency, unit): sums of amount and quantity, and the number of entries.

    Reversals count with their negative sign; ``entries`` counts only entries that are not reversals.
    """
    e = LedgerEntry
    stmt = (
        sa.select(
            e.category,
            e.kind,
            e.purpose,
            e.stage,
            e.currency,
            e.unit,
            sa.func.sum(e.amount),
            sa.func.sum(e.quantity),
            sa.func.count().filter(e.reverses_id.is_(None)),
        )
        .where(e.centre_id == centre_id)
        .group_by(e.category, e.kind, e.purpose, e.stage, e.currency, e.unit)
        .order_by(e.category, e.kind, e.purpose, e.stage, e.currency, e.unit)
    )
    return [ResourceTotal(*row) for row in db.session.execute(in_period(stmt, period))]


def sum_by_currency(totals: list[ResourceTotal], **keys) -> dict[str, Decimal]:
    """Amounts per currency of the buckets matching ``keys`` (e.g. category=Category.HOST_INSTITUTION)."""
    result: dict[str, Decimal] = defaultdict(Decimal)
    for row in totals:
        if row.currency and all(getattr(row, key) == value for key, value in keys.items()):
            result[row.currency] += row.amount
    return {code: amount for code, amount in result.items() if amount}


def headline_figures(centre_id: int, period: ReportingPeriod | None = None) -> dict[str, dict[str, Decimal]]:
    """The two figures a report's Part III quotes, per currency: money from the host institution
    ("institutional support") and money for project activities ("project funding")."""
    totals = resource_totals(centre_id, period)
    return {
        "institutional_support": sum_by_currency(totals, category=Category.HOST_INSTITUTION, kind=Kind.FINANCIAL),
        "project_funding": sum_by_currency(totals, purpose=Purpose.PROJECT_ACTIVITIES, kind=Kind.FINANCIAL),
    }


def received_totals(centre_id: int, period: ReportingPeriod | None = None) -> dict[str, Decimal]:
    """Money actually received (tranches, reversals netted), per currency."""
    stmt = (
        sa.select(Tranche.currency, sa.func.sum(Tranche.amount))
        .where(Tranche.centre_id == centre_id)
        .group_by(Tranche.currency)
    )
    if period is not None:
        stmt = stmt.where(Tranche.received_on.between(period.starts_on, period.ends_on))
    return {code: amount for code, amount in db.session.execute(stmt) if amount}


def stage_totals(stmt: sa.Select) -> dict[Stage, dict[str, Decimal]]:
    """For the entries ``stmt`` selects (a list page's filters): per stage, the amounts per currency."""
    ids = stmt.with_only_columns(LedgerEntry.id).order_by(None).scalar_subquery()
    rows = db.session.execute(
        sa.select(LedgerEntry.stage, LedgerEntry.currency, sa.func.sum(LedgerEntry.amount))
        .where(LedgerEntry.id.in_(ids), LedgerEntry.currency.is_not(None))
        .group_by(LedgerEntry.stage, LedgerEntry.currency)
        .order_by(LedgerEntry.stage, LedgerEntry.currency)
    )
    result: dict[Stage, dict[str, Decimal]] = defaultdict(dict)
    for stage, code, amount in rows:
        if amount:
            result[stage][code] = amount
    return dict(result)


# The list filters that are keys of the ledger rollup (purpose is not: a list filtered by it sums the entries).
ROLLUP_FILTERS = frozenset({"category", "kind", "stage"})


def list_stage_totals(
    entries: sa.Select, centre_ids, centre_code: str | None, filters: dict
) -> dict[Stage, dict[str, Decimal]]:
    """``stage_totals`` of a list page: the entries ``entries`` selects, which are those of ``centre_ids`` (None:
    every centre), of the centre coded ``centre_code`` if given, matching ``filters`` (list key → value).
    Summed from the rollup (per centre, stage, currency and month when only the stage is chosen) when it has
    every filter's key."""
    if not set(filters) <= ROLLUP_FILTERS:
        return stage_totals(entries)
    r = LedgerCentreRollup if set(filters) <= {"stage"} else LedgerRollup
    stmt = sa.select(r.stage, r.currency, sa.func.sum(r.amount)).where(r.currency != "")
    if centre_ids is not None:
        stmt = stmt.where(r.centre_id.in_(centre_ids))
    if centre_code:
        stmt = stmt.join(Centre, Centre.id == r.centre_id).where(Centre.code == centre_code)
    for key, value in filters.items():
        stmt = stmt.where(getattr(r, key) == value)
    rows = db.session.execute(stmt.group_by(r.stage, r.currency).order_by(r.stage, r.currency))
    result: dict[Stage, dict[str, Decimal]] = defaultdict(dict)
    for stage, code, amount in rows:
        if amount:
            result[stage][code] = amount
    return dict(result)


def received_by_entry(entry_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Per entry of a list page: the amounts received per currency (one query)."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        sa.select(Tranche.entry_id, Tranche.currency, sa.func.sum(Tranche.amount))
        .where(Tranche.entry_id.in_(entry_ids))
        .group_by(Tranche.entry_id, Tranche.currency)
    )
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for entry_id, code, amount in rows:
        if amount:
            result[entry_id][code] = amount
    return dict(result)


def reversed_ids(entry_ids: list[int]) -> set[int]:
    """The entries of a list page that have been reversed (one query)."""
    if not entry_ids:
        return set()
    return set(db.session.scalars(sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(entry_ids))))


def open_needs(centre_ids: set[int] | None) -> list[FundingNeed]:
    stmt = sa.select(FundingNeed).where(FundingNeed.status == NeedStatus.OPEN).order_by(FundingNeed.id)
    if centre_ids is not None:
        stmt = stmt.where(FundingNeed.centre_id.in_(centre_ids))
    return db.session.scalars(stmt).all()
