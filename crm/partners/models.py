from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.i18n import N_
from crm.core.kmgbf import TARGETS
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.partial_dates import PartialDate, partial_date_column
from crm.core.types import value_enum
from crm.extensions import db

# The types the app seeds (the first migration), with the plural headings the reports list partners under; admins
# add more (crm.partners.services.add_type). The names are marked for the catalogues: the interface shows a seeded
# type in the reader's language, one an admin added or renamed as typed. The filed report keeps them English.
DEFAULT_TYPES = (
    ("un_international", N_("UN or international body"), N_("UN and international bodies")),
    ("government", N_("National or local government"), N_("National and local government bodies")),
    ("research", N_("Research institute or university"), N_("Research institutes and universities")),
    ("cooperation_platform", N_("International cooperation platform"), N_("International cooperation platforms")),
    ("ngo", N_("NGO or civil society"), N_("NGOs and civil society organizations")),
    ("private", N_("Private sector"), N_("Private sector organizations")),
    ("funder", N_("Funder"), N_("Funders")),
    ("iplc_women_youth", N_("IPLC, women or youth organisation"), N_("IPLC, women and youth organizations")),
)
SEEDED_NAMES = frozenset(name for _code, name, _plural in DEFAULT_TYPES)
SEEDED_HEADINGS = frozenset(plural for _code, _name, plural in DEFAULT_TYPES)


def shown_type_name(name: str) -> str:
    """A type's name as the interface shows it: a seeded one in the reader's language, any other as typed."""
    return gettext(name) if name in SEEDED_NAMES else name


def shown_type_heading(heading: str) -> str:
    """A type's heading in reports (its plural, else its name) in the language being written: a seeded one
    translated in a working copy, as seeded in the filed English report; one an admin typed as typed."""
    return gettext(heading) if heading in SEEDED_HEADINGS or heading in SEEDED_NAMES else heading


class OrganisationType(Audited, Versioned, Timestamped, db.Model):
    """A kind of organisation (UN or international body, research institute...). Admins can add more."""

    __tablename__ = "organisation_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # The heading a report lists partners of this type under: "Research institutes and universities".
    plural_name: Mapped[str] = mapped_column(sa.String(120), default="")
    position: Mapped[int] = mapped_column(default=100)

    @property
    def heading(self) -> str:
        return self.plural_name or self.name

    @property
    def shown_name(self) -> str:
        return shown_type_name(self.name)


class Organisation(Audited, Versioned, Timestamped, db.Model):
    """One entry of the network-wide directory; centres relate to it through partnerships."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    # Names in other scripts (Chinese, Cyrillic...), as written.
    other_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    acronym: Mapped[str] = mapped_column(sa.String(40), default="", index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation_types.id"), index=True)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    website: Mapped[str] = mapped_column(sa.String(500), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # Every name and the acronym folded (case, accents, punctuation, "the", "of"...), as "|key|key|":
    # duplicate checks and searches match any script with one indexed-free LIKE, the same on both engines.
    match_keys: Mapped[str] = mapped_column(sa.Text, default="")
    # A duplicate merged into another entry (``crm.partners.services.merge_organisations``): kept as an alias so
    # that old links and the audit log still lead somewhere, out of every list, choice and search.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)

    type = relationship("OrganisationType", lazy="joined")

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym and self.acronym not in self.name else self.name


class Stage(LabelledEnum):
    __labels__ = {
        "identified": _l("Identified"),
        "contacted": _l("Contacted"),
        "in_discussion": _l("In discussion"),
        "agreement_in_preparation": _l("Agreement in preparation"),
        "active": _l("Active"),
        "dormant": _l("Dormant"),
        "closed": _l("Closed"),
    }

    IDENTIFIED = "identified"
    CONTACTED = "contacted"
    IN_DISCUSSION = "in_discussion"
    AGREEMENT_IN_PREPARATION = "agreement_in_preparation"
    ACTIVE = "active"
    DORMANT = "dormant"
    CLOSED = "closed"

    @property
    def tone(self) -> str:
        """The badge class a list shows it with."""
        return {"active": "ok", "agreement_in_preparation": "warn", "closed": "bad"}.get(self.value, "")


# Partnerships past "identified" and not closed: the organisations the centre has actually engaged (the lists'
# stage filter "engaged"; with the role "partner", the report's partners developed).
ENGAGED_STAGES = (Stage.CONTACTED, Stage.IN_DISCUSSION, Stage.AGREEMENT_IN_PREPARATION, Stage.ACTIVE, Stage.DORMANT)


class PartnershipRole(LabelledEnum):
    """What the organisation is to the centre. The convention body (the CBD Secretariat) and the host institution
    make the centre what it is (area 1 of the report): they are not partners the centre develops (area 3)."""

    __labels__ = {
        "partner": _l("Partner"),
        "convention_body": _l("Convention body (the CBD Secretariat)"),
        "host_institution": _l("Host institution"),
    }

    PARTNER = "partner"
    CONVENTION_BODY = "convention_body"
    HOST_INSTITUTION = "host_institution"


class Partnership(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A centre's relationship with one organisation of the directory."""

    __tablename__ = "partnerships"
    __table_args__ = (
        sa.UniqueConstraint("centre_id", "organisation_id"),
        # An organisation's partnerships, and which centres hold them, from the index alone: the partner page,
        # and the network dashboard's organisations engaged by more than one centre.
        sa.Index("ix_partnerships_organisation_centre", "organisation_id", "centre_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, 30), index=True)
    role: Mapped[PartnershipRole] = mapped_column(value_enum(PartnershipRole, 20), default=PartnershipRole.PARTNER)
    areas: Mapped[str] = mapped_column(sa.Text, default="")
    # KMGBF target numbers as ",3,20,": filterable with LIKE on both engines, readable in the audit log.
    kmgbf_targets: Mapped[str] = mapped_column(sa.String(100), default="")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    next_step: Mapped[str] = mapped_column(sa.String(500), default="")
    next_step_on: Mapped[date | None] = mapped_column(index=True)
    # Since when the centre has engaged the organisation (known to the day, month or year): what places the
    # partnership in a reporting period (``crm.core.periods``).
    engaged: Mapped[PartialDate] = partial_date_column("engaged", nullable=False)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    organisation = relationship("Organisation", lazy="joined")
    centre = relationship("Centre", lazy="joined")
    owner = relationship("User", lazy="joined")
    contacts = relationship(
        "Contact", back_populates="partnership", order_by="Contact.name", cascade="all, delete-orphan"
    )
    interactions = relationship(
        "Interaction",
        back_populates="partnership",
        order_by="(Interaction.occurred_on.desc(), Interaction.id.desc())",
        cascade="all, delete-orphan",
    )

    def audit_label(self) -> str:
        return self.organisation.name if self.organisation else f"#{self.id}"

    @property
    def targets(self) -> list[int]:
        return [int(n) for n in self.kmgbf_targets.strip(",").split(",") if n]

    @targets.setter
    def targets(self, numbers: list[int]) -> None:
        self.kmgbf_targets = "," + ",".join(str(n) for n in sorted(set(numbers))) + "," if numbers else ""

    @property
    def target_titles(self) -> list[tuple[int, str]]:
        return [(n, TARGETS[n]) for n in self.targets]

    def is_overdue(self, today: date) -> bool:
        return self.next_step_on is not None and self.next_step_on < today and self.stage != Stage.CLOSED


class Contact(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A person at a partner organisation, kept by the centre that knows them."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(sa.ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(60), default="")
    languages: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    partnership = relationship("Partnership", back_populates="contacts")


class InteractionKind(LabelledEnum):
    __labels__ = {"meeting": _l("Meeting"), "email": _l("E-mail"), "call": _l("Call"), "event": _l("Event")}

    MEETING = "meeting"
    EMAIL = "email"
    CALL = "call"
    EVENT = "event"


class Interaction(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One entry of a partnership's log: a meeting, an e-mail, a call, an event."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(sa.ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[InteractionKind] = mapped_column(value_enum(InteractionKind, 20))
    summary: Mapped[str] = mapped_column(sa.Text)
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    partnership = relationship("Partnership", back_populates="interactions")
    recorded_by = relationship("User")

    def audit_label(self) -> str:
        return f"{self.kind.label} on {self.occurred_on:%Y-%m-%d}"
