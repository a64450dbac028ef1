"""The resource ledger: every resource a centre mobilises, financial or in kind, with the tranches received.

Nothing is deleted: a correction is a reversal (an entry or tranche of the opposite sign pointing at the one it
cancels) followed, if needed, by a new entry. Sums over all rows therefore give the corrected totals.

Each entry carries the columns the dashboards group by (centre, currency, booked month, category, kind, stage),
with an index on them, so that totals are one GROUP BY and never a walk over rows.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CreateIndex

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.types import ExactDecimal, value_enum
from crm.extensions import db
from crm.money import Money
from crm.money.registry import register_amounts


class Category(LabelledEnum):
    __labels__ = {"government": "National or local government", "foundation_ngo": "Foundation or NGO"}

    HOST_INSTITUTION = "host_institution"
    BILATERAL = "bilateral"
    MULTILATERAL = "multilateral"
    GOVERNMENT = "government"
    PRIVATE_SECTOR = "private_sector"
    FOUNDATION_NGO = "foundation_ngo"
    OTHER = "other"


class Kind(LabelledEnum):
    __labels__ = {"in_kind": "In kind (goods or services)", "people_time": "People's time (staff, interns, volunteers)"}

    FINANCIAL = "financial"
    IN_KIND = "in_kind"
    PEOPLE_TIME = "people_time"

    @property
    def is_financial(self) -> bool:
        return self == Kind.FINANCIAL


class Purpose(LabelledEnum):
    CORE_OPERATIONS = "core_operations"
    EVENT = "event"
    PROJECT_ACTIVITIES = "project_activities"
    OTHER = "other"


class Stage(LabelledEnum):
    PLEDGED = "pledged"
    COMMITTED = "committed"
    RECEIVED = "received"

    @property
    def tone(self) -> str:
        return {"received": "ok", "committed": "warn"}.get(self.value, "")


class LedgerEntry(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One resource mobilised: a sum of money, goods or services, or people's time, from one source."""

    __tablename__ = "ledger_entries"
    audit_collections = ("proposals",)
    __table_args__ = (
        sa.CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        # What the dashboards filter and group on, in that order.
        sa.Index("ix_ledger_entries_rollup", "centre_id", "stage", "category", "kind", "currency", "booked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    category: Mapped[Category] = mapped_column(value_enum(Category))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    purpose: Mapped[Purpose] = mapped_column(value_enum(Purpose))
    # What exactly: "daily operation", "first Steering Committee meeting and international cooperation workshop".
    purpose_detail: Mapped[str] = mapped_column(sa.String(500), default="")
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    # The sum of money, or for goods, services and time the valuation if there is one. Negative only on reversals.
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    # The date the resource was pledged or committed; None when the source does not say (seeded report figures).
    booked_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    unit: Mapped[str] = mapped_column(sa.String(100), default="")
    valuation_method: Mapped[str] = mapped_column(sa.String(300), default="")
    valuation_evidence: Mapped[str] = mapped_column(sa.Text, default="")
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), unique=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")
    source = relationship("Organisation", lazy="joined")
    agreement = relationship("Agreement")
    proposals = relationship("Proposal", secondary="ledger_entry_proposals", order_by="Proposal.id")
    tranches = relationship("Tranche", back_populates="entry", order_by="(Tranche.received_on, Tranche.id)")
    reverses = relationship("LedgerEntry", remote_side=[id], back_populates="reversed_by")
    reversed_by = relationship("LedgerEntry", back_populates="reverses", uselist=False)

    def audit_label(self) -> str:
        what = self.purpose_detail or self.description or self.purpose.label
        return f"{'reversal of ' if self.reverses_id else ''}{what}"[:300]

    @property
    def value(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def is_reversed(self) -> bool:
        return self.reversed_by is not None

    @property
    def is_active(self) -> bool:
        return not self.is_reversal and not self.is_reversed


class RollupMeasures:
    """What a rollup row sums: exact amounts (NULL when no entry of the bucket has one, as SQL's SUM: only goods
    or time not valued, whose bucket has currency ''), the entries as the dashboards count them (reversals not
    counted) and every entry row (reversals too; a bucket with none is deleted)."""

    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    entries: Mapped[int] = mapped_column(default=0)
    records: Mapped[int] = mapped_column(default=0)


class QuantityMeasure:
    """The sum of the quantities, kept only by the grains keyed by kind and unit: 7 interns and 3 workstations
    add up to nothing, and within one kind either every entry has a quantity (goods, services, time) or none
    does (money), so the sum is NULL exactly when SUM would give NULL, even after entries leave the bucket."""

    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal())


class LedgerRollup(RollupMeasures, QuantityMeasure, db.Model):
    """The ledger summed per bucket, maintained by ``crm.funding.rollup`` in the transaction of every ledger write.

    One row per (centre, stage, category, kind, unit, currency, booked month) that has at least one entry row.
    The key columns are never NULL, so that the unique constraint can serve ``INSERT … ON CONFLICT`` on both
    engines (NULLs are distinct in unique indexes): ``currency`` is '' for goods or time not valued and
    ``month`` ('YYYY-MM', as ``crm.funding.rollup.month_text`` writes it) is '' for undated entries.
    Coarser grains of the same sums follow, one per table a dashboard shows, so that a page reads its rows
    instead of grouping tens of thousands.
    """

    __tablename__ = "ledger_rollups"
    __table_args__ = (
        sa.UniqueConstraint(
            "centre_id", "stage", "category", "kind", "unit", "currency", "month", name="uq_ledger_rollups_bucket"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"))
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    category: Mapped[Category] = mapped_column(value_enum(Category))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    unit: Mapped[str] = mapped_column(sa.String(100), default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


class LedgerCentreRollup(RollupMeasures, db.Model):
    """The rollup per (centre, stage, currency, month): the dashboards' resources per centre and per quarter, and
    the resources list's totals per stage, from a few thousand rows at most."""

    __tablename__ = "ledger_rollups_by_centre"
    __table_args__ = (
        sa.UniqueConstraint("centre_id", "stage", "currency", "month", name="uq_ledger_rollups_by_centre_bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"))
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


class LedgerCategoryRollup(RollupMeasures, db.Model):
    """Every centre's entries per (category, stage, currency, month): the network dashboard's resources by
    category, read as they are, in the order of their key."""

    __tablename__ = "ledger_rollups_by_category"
    __table_args__ = (
        sa.UniqueConstraint("category", "stage", "currency", "month", name="uq_ledger_rollups_by_category_bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(value_enum(Category))
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


class LedgerKindRollup(RollupMeasures, db.Model):
    """Every centre's entries per (kind, stage, currency, month): the network dashboard's resources by kind."""

    __tablename__ = "ledger_rollups_by_kind"
    __table_args__ = (
        sa.UniqueConstraint("kind", "stage", "currency", "month", name="uq_ledger_rollups_by_kind_bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


class LedgerStageRollup(RollupMeasures, db.Model):
    """Every centre's entries per (stage, currency, month): the network dashboard's resources by quarter."""

    __tablename__ = "ledger_rollups_by_stage"
    __table_args__ = (sa.UniqueConstraint("stage", "currency", "month", name="uq_ledger_rollups_by_stage_bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


class LedgerUnitRollup(RollupMeasures, QuantityMeasure, db.Model):
    """Every centre's entries per (kind, unit, currency, month): the network dashboard's goods, services and time,
    with their quantities."""

    __tablename__ = "ledger_rollups_by_unit"
    __table_args__ = (
        sa.UniqueConstraint("kind", "unit", "currency", "month", name="uq_ledger_rollups_by_unit_bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    unit: Mapped[str] = mapped_column(sa.String(100), default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7), default="")


# The resources list's order (booked_on DESC NULLS LAST, then id DESC) is this index read backwards, so a page
# is read, not sorted; it serves the dashboards' date ranges too. PostgreSQL's ascending default is NULLS LAST,
# hence NULLS FIRST; SQLite sorts NULLs first anyway and refuses the words in an index (see below).
sa.Index("ix_ledger_entries_booked_on", LedgerEntry.booked_on.nulls_first(), LedgerEntry.id)


@compiles(CreateIndex, "sqlite")
def _create_index_on_sqlite(create, compiler, **kw):
    """SQLite's CREATE INDEX without "NULLS FIRST", which it refuses and which is its order for ascending keys."""
    return compiler.visit_create_index(create, **kw).replace(" NULLS FIRST", "")


ledger_entry_proposals = sa.Table(
    "ledger_entry_proposals",
    db.metadata,
    sa.Column("entry_id", sa.ForeignKey("ledger_entries.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id"), primary_key=True, index=True),
)


class Tranche(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A part of a commitment actually received, on its own date and in its own currency."""

    __tablename__ = "tranches"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.Index("ix_tranches_rollup", "centre_id", "currency", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    received_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(sa.String(3))
    # Set when staff confirmed a tranche larger than what was outstanding: shown as a flag until someone looks.
    is_over_outstanding: Mapped[bool] = mapped_column(default=False)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tranches.id"), unique=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    entry = relationship("LedgerEntry", back_populates="tranches")
    reverses = relationship("Tranche", remote_side=[id], back_populates="reversed_by")
    reversed_by = relationship("Tranche", back_populates="reverses", uselist=False)

    def audit_label(self) -> str:
        prefix = "reversal of " if self.reverses_id else ""
        return f"{prefix}tranche {self.currency} {self.amount} of entry #{self.entry_id}"

    @property
    def value(self) -> Money:
        return Money(self.amount, self.currency)


class NeedStatus(LabelledEnum):
    OPEN = "open"
    MET = "met"
    DROPPED = "dropped"

    @property
    def tone(self) -> str:
        return {"open": "warn", "met": "ok"}.get(self.value, "")


class FundingNeed(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A gap: something the centre needs resources for and has not mobilised (paid consultants...). Not money."""

    __tablename__ = "funding_needs"
    __table_args__ = (sa.CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    purpose: Mapped[Purpose] = mapped_column(value_enum(Purpose))
    status: Mapped[NeedStatus] = mapped_column(value_enum(NeedStatus), default=NeedStatus.OPEN)
    # An estimate, only when someone has made one.
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")

    @property
    def estimate(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None


register_amounts(LedgerEntry, LedgerEntry.amount, LedgerEntry.currency, LedgerEntry.booked_on, label="Ledger entries")
register_amounts(Tranche, Tranche.amount, Tranche.currency, Tranche.received_on, label="Tranches received")
