"""The resource ledger: every resource a centre mobilises, financial or in kind, with the tranches received.

Nothing is deleted. A correction is one of two acts (DESIGN.md "The ledger in time"):

- **void**: the entry (or tranche) was entered by mistake. It leaves every figure of every period, as if it had
  never been booked; the row stays, marked with who voided it, when and why, and the audit log keeps it.
- **withdrawal**: a real event (a pledge withdrawn, a commitment reduced) on the date the user gives. It is an
  entry of the opposite sign pointing at the one it withdraws, booked on that date, so it nets in the period it
  falls in and earlier periods stay as reported. It converts at the rate of the entry it withdraws
  (``rate_on``), so that an entry withdrawn in full nets to zero in every currency, converted totals included.

Each entry carries the columns the dashboards group by (centre, currency, booked month, category, kind, stage),
with an index on them, so that totals are one GROUP BY and never a walk over rows.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.partial_dates import PartialDate, partial_date_column
from crm.core.types import ExactDecimal, ExactSum, value_enum
from crm.extensions import db
from crm.money import Money
from crm.money.registry import register_amounts


class Voidable:
    """A record that can be voided: kept, but out of every figure."""

    voided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Category(LabelledEnum):
    __labels__ = {
        "host_institution": _l("Host institution"),
        "bilateral": _l("Bilateral"),
        "multilateral": _l("Multilateral"),
        "government": _l("National or local government"),
        "private_sector": _l("Private sector"),
        "foundation_ngo": _l("Foundation or NGO"),
        "other": _l("Other"),
    }

    HOST_INSTITUTION = "host_institution"
    BILATERAL = "bilateral"
    MULTILATERAL = "multilateral"
    GOVERNMENT = "government"
    PRIVATE_SECTOR = "private_sector"
    FOUNDATION_NGO = "foundation_ngo"
    OTHER = "other"


class Kind(LabelledEnum):
    __labels__ = {
        "financial": _l("Financial"),
        "in_kind": _l("In kind (goods or services)"),
        "people_time": _l("People's time (staff, interns, volunteers)"),
    }

    FINANCIAL = "financial"
    IN_KIND = "in_kind"
    PEOPLE_TIME = "people_time"

    @property
    def is_financial(self) -> bool:
        return self == Kind.FINANCIAL


class Purpose(LabelledEnum):
    __labels__ = {
        "core_operations": _l("Core operations"),
        "event": _l("Event"),
        "project_activities": _l("Project activities"),
        "other": _l("Other"),
    }

    CORE_OPERATIONS = "core_operations"
    EVENT = "event"
    PROJECT_ACTIVITIES = "project_activities"
    OTHER = "other"


class Stage(LabelledEnum):
    __labels__ = {"pledged": _l("Pledged"), "committed": _l("Committed"), "received": _l("Received")}

    PLEDGED = "pledged"
    COMMITTED = "committed"
    RECEIVED = "received"

    @property
    def tone(self) -> str:
        return {"received": "ok", "committed": "warn"}.get(self.value, "")

    @property
    def measure(self) -> "Measure":
        """What the entry's amount counts as: a pledge, or a commitment (received in full or not)."""
        return Measure.PLEDGED if self == Stage.PLEDGED else Measure.COMMITTED


class Measure(LabelledEnum):
    """The ledger's figures: pledges; commitments (entries committed or received); money received (tranches).

    Outstanding is committed minus received, worked out from these two, never stored."""

    __labels__ = {"pledged": _l("Pledged"), "committed": _l("Committed (incl. received)"), "received": _l("Received")}

    PLEDGED = "pledged"
    COMMITTED = "committed"
    RECEIVED = "received"


class LedgerEntry(Voidable, Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One resource mobilised: a sum of money, goods or services, or people's time, from one source."""

    __tablename__ = "ledger_entries"
    audit_collections = ("proposals",)
    __table_args__ = (
        sa.CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        # Only a withdrawal is negative.
        sa.CheckConstraint("(amount IS NULL OR amount > 0) OR withdraws_id IS NOT NULL", name="amount_positive"),
        # What the dashboards filter and group on, in that order.
        sa.Index("ix_ledger_entries_rollup", "centre_id", "stage", "category", "kind", "currency", "booked_on"),
        # Live entries and withdrawals: the lists' counts read it, not the table, and a page's withdrawals are
        # found through it (SQLite's statistics count every NULL withdraws_id alike, so it will not use the
        # index on withdraws_id alone for "withdraws_id IN (…)").
        sa.Index("ix_ledger_entries_live", "voided_at", "withdraws_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    category: Mapped[Category] = mapped_column(value_enum(Category))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    purpose: Mapped[Purpose] = mapped_column(value_enum(Purpose))
    # What exactly: "daily operation", "first Steering Committee meeting and international cooperation workshop".
    purpose_detail: Mapped[str] = mapped_column(sa.String(500), default="")
    stage: Mapped[Stage] = mapped_column(value_enum(Stage))
    # The sum of money, or for goods, services and time the valuation if there is one. Negative only on withdrawals.
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    # The date the resource was pledged or committed (a withdrawal: the date it was withdrawn): what places the
    # entry in a period.
    booked_on: Mapped[date]
    # The date whose rate converts the amount: the booked date, or for a withdrawal the booked date of the entry
    # it withdraws (kept equal by the services).
    rate_on: Mapped[date]
    # When the next money of a pledge or commitment is expected: shown in My work and the calendar feeds until a
    # tranche is recorded (which clears it: staff give the next date then), or the entry is received in full.
    expected_on: Mapped[date | None] = mapped_column(index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    unit: Mapped[str] = mapped_column(sa.String(100), default="")
    valuation_method: Mapped[str] = mapped_column(sa.String(300), default="")
    valuation_evidence: Mapped[str] = mapped_column(sa.Text, default="")
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    withdraws_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")
    source = relationship("Organisation", lazy="joined")
    agreement = relationship("Agreement")
    proposals = relationship("Proposal", secondary="ledger_entry_proposals", order_by="Proposal.id")
    tranches = relationship("Tranche", back_populates="entry", order_by="(Tranche.received_on, Tranche.id)")
    withdraws = relationship("LedgerEntry", remote_side=[id], back_populates="withdrawals")
    withdrawals = relationship(
        "LedgerEntry", back_populates="withdraws", order_by="(LedgerEntry.booked_on, LedgerEntry.id)"
    )
    voided_by = relationship("User", foreign_keys="LedgerEntry.voided_by_id")

    def audit_label(self) -> str:
        what = self.purpose_detail or self.description or self.purpose.label
        return f"{'withdrawal from ' if self.withdraws_id else ''}{what}"[:300]

    @property
    def value(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None

    @property
    def is_withdrawal(self) -> bool:
        return self.withdraws_id is not None

    @property
    def promised(self) -> str:
        """What its amount is, in the words of its stage: "Pledged", or "Committed" (received in full or not)."""
        return "Pledged" if self.stage == Stage.PLEDGED else "Committed"

    @property
    def live_tranches(self) -> list["Tranche"]:
        return [t for t in self.tranches if not t.is_voided]

    @property
    def live_withdrawals(self) -> list["LedgerEntry"]:
        return [w for w in self.withdrawals if not w.is_voided]

    @property
    def remaining(self) -> Money | None:
        """The amount after its live withdrawals (the amount itself when none)."""
        if self.value is None:
            return None
        return Money(self.amount + sum((w.amount for w in self.live_withdrawals), Decimal(0)), self.currency)

    @property
    def is_active(self) -> bool:
        """Open to tranches, edits and withdrawals: not voided, not a withdrawal, not withdrawn in full."""
        if self.is_voided or self.is_withdrawal:
            return False
        remaining = self.remaining
        if remaining is not None:
            return remaining.amount > 0
        quantity = self.quantity + sum((w.quantity or 0 for w in self.live_withdrawals), Decimal(0))
        return quantity > 0


class RollupMeasures:
    """What a rollup row sums: exact amounts and quantities (NULL when no record of the bucket has one, as SQL's
    SUM: goods or time not valued, whose bucket has currency ''), the records as the dashboards count them
    (entries and tranches, withdrawals not counted) and every record row (withdrawals too; a bucket with none is
    deleted). Sums are ``ExactSum``: no number of amounts overflows them, on either engine."""

    amount: Mapped[Decimal | None] = mapped_column(ExactSum())
    quantity: Mapped[Decimal | None] = mapped_column(ExactSum())
    entries: Mapped[int] = mapped_column(default=0)
    records: Mapped[int] = mapped_column(default=0)


def _bucket(name: str, *keys: str):
    """The columns every grain shares, and its unique key: ``measure``, the given ``keys``, currency, the month
    the records fall in ('YYYY-MM') and the month of the rate that converts them ('YYYY-MM'; it differs from the
    month only for withdrawals). Key columns are never NULL, so the unique constraint serves ``INSERT … ON
    CONFLICT`` on both engines (NULLs are distinct in unique indexes): currency is '' for goods or time not
    valued."""
    return (sa.UniqueConstraint(*keys, "measure", "currency", "month", "rate_month", name=f"uq_{name}_bucket"),)


class RollupKey:
    measure: Mapped[Measure] = mapped_column(value_enum(Measure))
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    month: Mapped[str] = mapped_column(sa.String(7))
    rate_month: Mapped[str] = mapped_column(sa.String(7))


class LedgerRollup(RollupKey, RollupMeasures, db.Model):
    """The ledger summed per bucket, maintained by ``crm.funding.rollup`` in the transaction of every ledger write.

    One row per (centre, measure, category, kind, unit, currency, month, rate month) that has a record: entries
    count as pledged or committed by their stage, in their booked month; tranches as received, in the month
    received. Voided records are in no bucket. Coarser grains of the same sums follow, one per table a
    dashboard shows, so that a page reads their rows instead of grouping tens of thousands.
    """

    __tablename__ = "ledger_rollups"
    __table_args__ = _bucket("ledger_rollups", "centre_id", "category", "kind", "unit")

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"))
    category: Mapped[Category] = mapped_column(value_enum(Category))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    unit: Mapped[str] = mapped_column(sa.String(100), default="")


class LedgerCentreRollup(RollupKey, RollupMeasures, db.Model):
    """Per centre: the dashboards' resources per centre and the resources list's totals."""

    __tablename__ = "ledger_rollups_by_centre"
    __table_args__ = _bucket("ledger_rollups_by_centre", "centre_id", "kind")

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))


class LedgerCategoryRollup(RollupKey, RollupMeasures, db.Model):
    """Every centre's records per category: the network dashboard's resources by category."""

    __tablename__ = "ledger_rollups_by_category"
    __table_args__ = _bucket("ledger_rollups_by_category", "category", "kind")

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(value_enum(Category))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))


class LedgerUnitRollup(RollupKey, RollupMeasures, db.Model):
    """Every centre's records per kind and unit: the network dashboard's quarters, and its goods, services and
    time with their quantities."""

    __tablename__ = "ledger_rollups_by_unit"
    __table_args__ = _bucket("ledger_rollups_by_unit", "kind", "unit")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(value_enum(Kind))
    unit: Mapped[str] = mapped_column(sa.String(100), default="")


# The resources list's order (booked_on DESC, then id DESC) is this index read backwards, so a page is read, not
# sorted; it serves the dashboards' date ranges too.
sa.Index("ix_ledger_entries_booked_on", LedgerEntry.booked_on, LedgerEntry.id)


ledger_entry_proposals = sa.Table(
    "ledger_entry_proposals",
    db.metadata,
    sa.Column("entry_id", sa.ForeignKey("ledger_entries.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id"), primary_key=True, index=True),
)


class Tranche(Voidable, Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A part of a commitment actually received, on its own date and in its own currency. A tranche recorded by
    mistake is voided; money returned is not a tranche."""

    __tablename__ = "tranches"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_tranches_rollup", "centre_id", "currency", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    received_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(sa.String(3))
    # Set when staff confirmed a tranche larger than what was outstanding: shown as a flag until someone looks.
    is_over_outstanding: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    entry = relationship("LedgerEntry", back_populates="tranches")
    voided_by = relationship("User", foreign_keys="Tranche.voided_by_id")

    def audit_label(self) -> str:
        return f"tranche of {self.value} received {self.received_on}"

    @property
    def value(self) -> Money:
        return Money(self.amount, self.currency)


class NeedStatus(LabelledEnum):
    __labels__ = {"open": _l("Open"), "met": _l("Met"), "dropped": _l("Dropped")}

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


# --- the resource mobilisation strategy: what the centre will do to mobilise resources ----------------------


class StrategyStatus(LabelledEnum):
    __labels__ = {
        "not_started": _l("No strategy document yet (steps only)"),
        "in_development": _l("Being developed"),
        "adopted": _l("Adopted"),
    }

    NOT_STARTED = "not_started"
    IN_DEVELOPMENT = "in_development"
    ADOPTED = "adopted"


class MobilisationStrategy(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A centre's resource mobilisation strategy: its status, the sources it targets and the steps it plans. The
    report's "Resource mobilization strategy" row is drafted from it, and from nothing else."""

    __tablename__ = "mobilisation_strategies"
    __table_args__ = (sa.UniqueConstraint("centre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[StrategyStatus] = mapped_column(value_enum(StrategyStatus, 20), default=StrategyStatus.NOT_STARTED)
    adopted: Mapped[PartialDate | None] = partial_date_column("adopted")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")
    sources = relationship(
        "StrategySource",
        back_populates="strategy",
        order_by="(StrategySource.position, StrategySource.id)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    steps = relationship(
        "StrategyStep",
        back_populates="strategy",
        order_by="(StrategyStep.position, StrategyStep.id)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def audit_label(self) -> str:
        return "resource mobilisation strategy"


class StrategySource(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A source the strategy targets, as the centre names it ("international bilateral and multilateral projects"),
    with the ledger categories it falls under."""

    __tablename__ = "strategy_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mobilisation_strategies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(300))
    # Category values (``Category``), in the category's order.
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    strategy = relationship("MobilisationStrategy", back_populates="sources")

    def audit_label(self) -> str:
        return self.label

    @property
    def category_labels(self) -> list[str]:
        return [Category(value).label for value in self.categories]


class StrategyStep(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A step the centre plans, written as it follows "the centre will …", with the date it is due and, once taken,
    the date it was done."""

    __tablename__ = "strategy_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mobilisation_strategies.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategy_sources.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    action: Mapped[str] = mapped_column(sa.Text)
    due: Mapped[PartialDate | None] = partial_date_column("due")
    done: Mapped[PartialDate | None] = partial_date_column("done")

    strategy = relationship("MobilisationStrategy", back_populates="steps")
    source = relationship("StrategySource")

    def audit_label(self) -> str:
        return self.action[:300]
