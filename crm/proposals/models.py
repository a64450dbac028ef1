"""Funders' mechanisms with their call calendar, and the centres' project proposals with a dated status history."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned, utcnow
from crm.core.types import ExactDecimal, value_enum
from crm.core.uploads import FileRecord
from crm.extensions import db
from crm.money import Money
from crm.money.registry import register_amounts


class MechanismKind(LabelledEnum):
    __labels__ = {
        "programme": _l("Programme"),
        "call": _l("Call for proposals"),
        "fund": _l("Fund"),
    }

    PROGRAMME = "programme"
    CALL = "call"
    FUND = "fund"


class FundingMechanism(Audited, Versioned, Timestamped, db.Model):
    """A funder's programme, call or fund (GBFF, NSFC international cooperation...). Network-wide, like funders."""

    __tablename__ = "funding_mechanisms"
    __table_args__ = (sa.UniqueConstraint("funder_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[MechanismKind] = mapped_column(value_enum(MechanismKind), default=MechanismKind.PROGRAMME)
    # The currency its grants are made in, when known.
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    eligibility_notes: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str] = mapped_column(sa.String(500), default="")

    funder = relationship("Organisation", lazy="joined")
    deadlines = relationship(
        "CallDeadline", back_populates="mechanism", order_by="CallDeadline.due_on", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return f"{self.name} — {self.funder.acronym or self.funder.name}"


class CallDeadline(Audited, Versioned, Timestamped, db.Model):
    """A deadline of a mechanism's call calendar: one-off, or recurring on the same day every year."""

    __tablename__ = "call_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    mechanism_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_mechanisms.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(index=True)
    is_yearly: Mapped[bool] = mapped_column(default=False)

    mechanism = relationship("FundingMechanism", back_populates="deadlines")

    def audit_label(self) -> str:
        return self.label

    def next_on(self, today: date) -> date | None:
        """The next time this deadline falls on or after ``today`` (29 February falls on the 28th in other years)."""
        if not self.is_yearly or self.due_on >= today:
            return self.due_on if self.due_on >= today else None
        for year in (today.year, today.year + 1):
            day = min(self.due_on.day, 28) if (self.due_on.month, self.due_on.day) == (2, 29) else self.due_on.day
            candidate = date(year, self.due_on.month, day)
            if candidate >= today:
                return candidate
        return None


class ProposalStatus(LabelledEnum):
    __labels__ = {
        "idea": _l("Idea"),
        "in_preparation": _l("In preparation"),
        "submitted": _l("Submitted"),
        "under_review": _l("Under review"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
        "withdrawn": _l("Withdrawn"),
    }

    IDEA = "idea"
    IN_PREPARATION = "in_preparation"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def default_probability(self) -> int:
        """The chance of funding a proposal at this status is given unless staff set their own (percent)."""
        return DEFAULT_PROBABILITY[self]

    @property
    def is_decided(self) -> bool:
        return self in (ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN)

    @property
    def was_submitted(self) -> bool:
        """Counts among "proposals submitted", whatever became of it after."""
        return self in SUBMITTED_STATUSES

    @property
    def tone(self) -> str:
        return {
            "approved": "ok",
            "rejected": "bad",
            "withdrawn": "bad",
            "submitted": "warn",
            "under_review": "warn",
        }.get(self.value, "")


DEFAULT_PROBABILITY = {
    ProposalStatus.IDEA: 5,
    ProposalStatus.IN_PREPARATION: 20,
    ProposalStatus.SUBMITTED: 40,
    ProposalStatus.UNDER_REVIEW: 50,
    ProposalStatus.APPROVED: 100,
    ProposalStatus.REJECTED: 0,
    ProposalStatus.WITHDRAWN: 0,
}
# A withdrawn proposal may have been withdrawn before or after submission; it counts only if it was submitted on a date.
SUBMITTED_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.UNDER_REVIEW,
    ProposalStatus.APPROVED,
    ProposalStatus.REJECTED,
)
# Which status may follow which: forward along the pipeline, or out of it by rejection or withdrawal.
NEXT_STATUSES = {
    ProposalStatus.IDEA: (ProposalStatus.IN_PREPARATION, ProposalStatus.WITHDRAWN),
    ProposalStatus.IN_PREPARATION: (ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN),
    ProposalStatus.SUBMITTED: (
        ProposalStatus.UNDER_REVIEW,
        ProposalStatus.APPROVED,
        ProposalStatus.REJECTED,
        ProposalStatus.WITHDRAWN,
    ),
    ProposalStatus.UNDER_REVIEW: (ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN),
    ProposalStatus.APPROVED: (),
    ProposalStatus.REJECTED: (),
    ProposalStatus.WITHDRAWN: (),
}


class PartnerRole(LabelledEnum):
    __labels__ = {
        "co_applicant": _l("Co-applicant"),
        "partner": _l("Partner"),
    }

    CO_APPLICANT = "co_applicant"
    PARTNER = "partner"


class Proposal(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.CheckConstraint("requested_amount IS NULL OR requested_amount > 0", name="requested_positive"),
        sa.CheckConstraint("awarded_amount IS NULL OR awarded_amount > 0", name="awarded_positive"),
        sa.CheckConstraint(
            "probability IS NULL OR (probability >= 0 AND probability <= 100)", name="probability_range"
        ),
        # With the deadline: the dashboards' proposals due and overdue, per centre and network-wide.
        sa.Index("ix_proposals_centre_status", "centre_id", "status", "deadline_on"),
        sa.Index("ix_proposals_status_deadline", "status", "deadline_on"),
        # Every column of the dashboards' pipeline GROUP BY, in its order: read from the index, not sorted.
        sa.Index(
            "ix_proposals_pipeline",
            *("centre_id", "status", "requested_currency", "awarded_currency", "requested_amount"),
            *("awarded_amount", "probability", "submitted_on", "decision_on"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    funder_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    mechanism_id: Mapped[int | None] = mapped_column(sa.ForeignKey("funding_mechanisms.id"), index=True)
    # The status of the latest change; kept on the row so that the board groups without reading the history.
    status: Mapped[ProposalStatus] = mapped_column(value_enum(ProposalStatus), index=True)
    requested_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    requested_currency: Mapped[str | None] = mapped_column(sa.String(3))
    awarded_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    awarded_currency: Mapped[str | None] = mapped_column(sa.String(3))
    deadline_on: Mapped[date | None] = mapped_column(index=True)
    submitted_on: Mapped[date | None]
    decision_on: Mapped[date | None]
    # Percent; None means the status's default (see ProposalStatus.default_probability).
    probability: Mapped[int | None]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kmgbf_targets: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")
    funder = relationship("Organisation", lazy="joined")
    mechanism = relationship("FundingMechanism", lazy="joined")
    owner = relationship("User", lazy="joined")
    partners = relationship(
        "ProposalPartner", back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalPartner.id"
    )
    status_changes = relationship(
        "ProposalStatusChange",
        back_populates="proposal",
        cascade="all, delete-orphan",
        order_by="ProposalStatusChange.id",
    )
    documents = relationship(
        "ProposalDocument", back_populates="proposal", cascade="all", order_by="ProposalDocument.id"
    )

    @property
    def requested(self) -> Money | None:
        return Money(self.requested_amount, self.requested_currency) if self.requested_amount is not None else None

    @property
    def awarded(self) -> Money | None:
        return Money(self.awarded_amount, self.awarded_currency) if self.awarded_amount is not None else None

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.status.default_probability

    @property
    def expected_value(self) -> Money | None:
        """The awarded amount once approved, else the requested amount weighted by the probability."""
        if self.status == ProposalStatus.APPROVED and self.awarded is not None:
            return self.awarded
        if self.requested is None:
            return None
        return Money(self.requested.amount * self.effective_probability / 100, self.requested.currency)

    @property
    def next_statuses(self) -> tuple[ProposalStatus, ...]:
        return NEXT_STATUSES[self.status]


# The list's default order (latest changed first, ties by id), so a page is read from the index, not sorted.
sa.Index("ix_proposals_recent", Proposal.updated_at.desc(), Proposal.id)


class ProposalPartner(Audited, Versioned, Timestamped, db.Model):
    """An organisation applying with the centre (co-applicant) or taking part (partner)."""

    __tablename__ = "proposal_partners"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    role: Mapped[PartnerRole] = mapped_column(value_enum(PartnerRole), default=PartnerRole.PARTNER)

    proposal = relationship("Proposal", back_populates="partners")
    organisation = relationship("Organisation", lazy="joined")

    def audit_label(self) -> str:
        return f"proposal #{self.proposal_id}: {self.role.value} #{self.organisation_id}"


class ProposalStatusChange(Audited, Timestamped, db.Model):
    """One dated step of a proposal's history. Appended, never edited: the history is what happened."""

    __tablename__ = "proposal_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(value_enum(ProposalStatus))
    # When it happened, as the users know it; None when the source does not say (the seeded report rows).
    changed_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    proposal = relationship("Proposal", back_populates="status_changes")
    recorded_by = relationship("User")

    def audit_label(self) -> str:
        return f"proposal #{self.proposal_id} → {self.status.value}"


class ProposalDocument(FileRecord, Audited, Timestamped, CentreScoped, db.Model):
    """A proposal's document (the application, the budget, the decision letter): PDF or Word, checked by content."""

    __tablename__ = "proposal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))

    proposal = relationship("Proposal", back_populates="documents")

    def audit_label(self) -> str:
        return self.title


register_amounts(
    Proposal, Proposal.requested_amount, Proposal.requested_currency, Proposal.submitted_on, label="Proposals requested"
)
register_amounts(
    Proposal, Proposal.awarded_amount, Proposal.awarded_currency, Proposal.decision_on, label="Proposals awarded"
)
