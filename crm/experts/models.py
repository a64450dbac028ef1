"""The expert roster: experts and consultants of a centre, the pools they belong to, and what they worked on."""

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.partial_dates import PartialDate, partial_date_column
from crm.core.types import ExactDecimal, value_enum
from crm.core.uploads import FileRecord
from crm.extensions import db


class EngagementBasis(LabelledEnum):
    __labels__ = {
        "volunteer": _l("Volunteer"),
        "paid": _l("Paid consultant"),
        "partner": _l("Provided by a partner"),
    }

    VOLUNTEER = "volunteer"
    PAID = "paid"
    PARTNER = "partner"


class Availability(LabelledEnum):
    __labels__ = {
        "available": _l("Available"),
        "limited": _l("Limited"),
        "unavailable": _l("Unavailable"),
    }

    AVAILABLE = "available"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


class Vetting(LabelledEnum):
    __labels__ = {
        "proposed": _l("Proposed"),
        "vetted": _l("Vetted"),
        "declined": _l("Declined"),
    }

    PROPOSED = "proposed"
    VETTED = "vetted"
    DECLINED = "declined"


class Origin(LabelledEnum):
    """Domestic or foreign relative to the centre's host country; derived, never typed."""

    __labels__ = {
        "domestic": _l("Domestic"),
        "foreign": _l("Foreign"),
        "undetermined": _l("Not determined"),
    }

    DOMESTIC = "domestic"
    FOREIGN = "foreign"
    UNDETERMINED = "undetermined"


class TagFacet(enum.StrEnum):
    TARGET = "target"
    LANGUAGE = "language"
    THEME = "theme"


pool_memberships = sa.Table(
    "expert_pool_memberships",
    db.metadata,
    sa.Column("expert_id", sa.ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pool_id", sa.ForeignKey("expert_pools.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PoolStatus(LabelledEnum):
    """How far a pool has come. A list of people the centre could call on (TSCC-CA's "initial list of possible
    consultants", who need funds to be engaged) is not an established pool, and a report never says it is."""

    __labels__ = {
        "candidates": _l("List of possible experts or consultants"),
        "established": _l("Established pool"),
    }

    CANDIDATES = "candidates"
    ESTABLISHED = "established"


class ExpertPool(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A named list of a centre's experts ("CAST expert database", "consultants")."""

    __tablename__ = "expert_pools"
    __table_args__ = (sa.UniqueConstraint("centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[PoolStatus] = mapped_column(value_enum(PoolStatus, 20), default=PoolStatus.ESTABLISHED)

    centre = relationship("Centre", lazy="joined")


class Expert(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One person on a centre's roster.

    Targets, languages and themes are kept as lists on the record (shown and audited)
    and mirrored row by row in ``expert_tags``, the index the faceted search groups by;
    ``crm.experts.services`` writes both together.
    """

    __tablename__ = "experts"
    audit_collections = ("pools",)
    __table_args__ = (
        sa.CheckConstraint("day_rate IS NULL OR day_rate_currency IS NOT NULL", name="rate_currency"),
        # The search's order (name without case, then id): a page of 25 is read from the index, not sorted
        # out of every match; the duplicate check compares the same lower(name).
        sa.Index("ix_experts_lower_name", sa.text("lower(name)"), "id"),
    )

    # Personal data: shown to the expert's centre's staff only, scrubbed from the audit log on erasure.
    PERSONAL = ("name", "other_names", "email", "phone", "contact_notes", "position", "affiliation_id", "notes")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # Names in other scripts (Chinese, Cyrillic...), as written, separated by semicolons.
    other_names: Mapped[str] = mapped_column(sa.String(500), default="")
    # ISO 3166-1 alpha-2.
    nationality: Mapped[str | None] = mapped_column(sa.String(2), index=True)
    residence_country: Mapped[str | None] = mapped_column(sa.String(2))
    affiliation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(60), default="")
    contact_notes: Mapped[str] = mapped_column(sa.Text, default="")
    # ISO 639-3 codes and KMGBF target numbers, as the record shows them (see expert_tags).
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    targets: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    engagement_basis: Mapped[EngagementBasis] = mapped_column(value_enum(EngagementBasis), index=True)
    day_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    day_rate_currency: Mapped[str | None] = mapped_column(sa.String(3))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    availability: Mapped[Availability] = mapped_column(value_enum(Availability), index=True)
    # The availability holds until this day (e.g. unavailable until a field season ends).
    availability_until: Mapped[date | None]
    vetting: Mapped[Vetting] = mapped_column(value_enum(Vetting), index=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # Since when the expert is on the centre's roster: what places the expert in a reporting period.
    listed: Mapped[PartialDate] = partial_date_column("listed", nullable=False)

    centre = relationship("Centre", lazy="joined")
    affiliation = relationship("Organisation", foreign_keys=[affiliation_id])
    provider = relationship("Organisation", foreign_keys=[provider_id])
    pools = relationship("ExpertPool", secondary=pool_memberships, order_by="ExpertPool.name")
    tags = relationship("ExpertTag", cascade="all, delete-orphan", passive_deletes=True)
    engagements = relationship(
        "ExpertEngagement",
        back_populates="expert",
        cascade="all, delete-orphan",
        order_by="ExpertEngagement.started_on.desc()",
    )
    cv = relationship("ExpertCv", back_populates="expert", uselist=False, cascade="all, delete-orphan")

    def audit_label(self) -> str:
        # Never the name: the log outlives an erasure.
        return f"expert #{self.id}"

    @property
    def origin(self) -> Origin:
        host = self.centre.host_country if self.centre else None
        if not host or not self.nationality:
            return Origin.UNDETERMINED
        return Origin.DOMESTIC if self.nationality == host else Origin.FOREIGN


def origin_expression():
    """Expert.origin in SQL (needs ``centres`` joined), for searching and counting."""
    from crm.centres.models import Centre

    return sa.case(
        (sa.or_(Centre.host_country.is_(None), Expert.nationality.is_(None)), Origin.UNDETERMINED.value),
        (Expert.nationality == Centre.host_country, Origin.DOMESTIC.value),
        else_=Origin.FOREIGN.value,
    )


class ExpertTag(db.Model):
    """The search index of an expert's targets, languages and themes: one row per value."""

    __tablename__ = "expert_tags"
    __table_args__ = (sa.Index("ix_expert_tags_facet_value", "facet", "value"),)

    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    # Target numbers as text ("3"), ISO 639-3 codes, themes in lower case.
    value: Mapped[str] = mapped_column(sa.String(100), primary_key=True)


class ExpertEngagement(Audited, Versioned, Timestamped, db.Model):
    """Work an expert did for the centre: an activity or a proposal, the dates, the days worked."""

    __tablename__ = "expert_engagements"
    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="engagement_order"),
        sa.CheckConstraint("days_worked >= 0", name="days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(sa.String(300))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    days_worked: Mapped[Decimal] = mapped_column(ExactDecimal(scale=1))

    expert = relationship("Expert", back_populates="engagements")

    def audit_label(self) -> str:
        return self.activity

    @property
    def centre_id(self) -> int:
        return self.expert.centre_id


class ExpertCv(FileRecord, Audited, Timestamped, db.Model):
    """An expert's CV (PDF or DOCX). The file name often carries the person's name, so it stays out of the log."""

    __tablename__ = "expert_cvs"
    audit_exclude = ("original_name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"), unique=True)

    expert = relationship("Expert", back_populates="cv")

    def audit_label(self) -> str:
        return f"CV of expert #{self.expert_id}"
