import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.partial_dates import PartialDate, partial_date_column
from crm.core.types import value_enum
from crm.core.uploads import FileRecord
from crm.extensions import db


class AgreementKind(LabelledEnum):
    __labels__ = {
        "host_agreement": _l("Host agreement"),
        "memorandum_of_agreement": _l("Memorandum of agreement (MoA)"),
        "cooperation_agreement": _l("Cooperation agreement"),
        "mou": _l("Memorandum of understanding (MoU)"),
        "letter_of_intent": _l("Letter of intent"),
        "funding_agreement": _l("Funding agreement"),
    }

    HOST_AGREEMENT = "host_agreement"
    MEMORANDUM_OF_AGREEMENT = "memorandum_of_agreement"
    COOPERATION_AGREEMENT = "cooperation_agreement"
    MOU = "mou"
    LETTER_OF_INTENT = "letter_of_intent"
    FUNDING_AGREEMENT = "funding_agreement"


class AgreementStatus(LabelledEnum):
    __labels__ = {
        "drafting": _l("Drafting"),
        "under_negotiation": _l("Under negotiation"),
        "legal_review": _l("Legal review"),
        "authority_approval": _l("Approval by an authority"),
        "signed": _l("Signed"),
        "in_force": _l("In force"),
        "expired": _l("Expired"),
        "terminated": _l("Terminated"),
        "abandoned": _l("Abandoned"),
    }

    DRAFTING = "drafting"
    UNDER_NEGOTIATION = "under_negotiation"
    LEGAL_REVIEW = "legal_review"
    AUTHORITY_APPROVAL = "authority_approval"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    ABANDONED = "abandoned"

    @property
    def is_open(self) -> bool:
        """Still on its way to signature: someone has to act."""
        return self in OPEN_STATUSES

    @property
    def tone(self) -> str:
        if self in (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE):
            return "ok"
        if self in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.ABANDONED):
            return "bad"
        return "warn"


class ReportArea(LabelledEnum):
    """Where the biennial report tells an agreement: the centre's own establishment (the host agreement, the MoA with
    the convention body) is area 1, "Operationalization of the TSCC"; cooperation with partners is area 3,
    "Partnership development and resource mobilization"."""

    __labels__ = {
        "operationalization": _l("1. Operationalization of the TSCC"),
        "partnerships": _l("3. Partnership development and resource mobilization"),
    }

    OPERATIONALIZATION = "operationalization"
    PARTNERSHIPS = "partnerships"


# The kinds that establish a centre: told under area 1 unless staff place the agreement elsewhere.
ESTABLISHING_KINDS = (AgreementKind.HOST_AGREEMENT, AgreementKind.MEMORANDUM_OF_AGREEMENT)


def default_area(kind: AgreementKind) -> ReportArea:
    return ReportArea.OPERATIONALIZATION if kind in ESTABLISHING_KINDS else ReportArea.PARTNERSHIPS


OPEN_STATUSES = (
    AgreementStatus.DRAFTING,
    AgreementStatus.UNDER_NEGOTIATION,
    AgreementStatus.LEGAL_REVIEW,
    AgreementStatus.AUTHORITY_APPROVAL,
)


agreement_counterparts = sa.Table(
    "agreement_counterparts",
    db.metadata,
    sa.Column("agreement_id", sa.ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id"), primary_key=True, index=True),
)


class Agreement(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A host agreement, MoA, cooperation agreement, MoU... of one centre, with its dated status history."""

    __tablename__ = "agreements"
    audit_collections = ("counterparts",)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AgreementKind] = mapped_column(value_enum(AgreementKind), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    # The report area staff placed it in; None: as its kind has it (``default_area``).
    report_area: Mapped[ReportArea | None] = mapped_column(value_enum(ReportArea, 20))
    # A person, not necessarily a user of the app (a host institution's director, a coordinator).
    responsible: Mapped[str] = mapped_column(sa.String(200), default="")
    # The status of the latest step entered; kept on the row so lists filter without reading the history.
    status: Mapped[AgreementStatus] = mapped_column(value_enum(AgreementStatus), index=True)
    status_since: Mapped[PartialDate | None] = partial_date_column("status_since")
    signed: Mapped[PartialDate | None] = partial_date_column("signed")
    signed_place: Mapped[str] = mapped_column(sa.String(200), default="")
    effective: Mapped[PartialDate | None] = partial_date_column("effective")
    expiry: Mapped[PartialDate | None] = partial_date_column("expiry")
    next_review: Mapped[PartialDate | None] = partial_date_column("next_review")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    centre = relationship("Centre", lazy="joined")
    counterparts = relationship(
        "Organisation", secondary=agreement_counterparts, order_by="Organisation.name", lazy="selectin"
    )
    steps = relationship("AgreementStep", back_populates="agreement", order_by="AgreementStep.id", cascade="all")
    documents = relationship(
        "AgreementDocument",
        back_populates="agreement",
        order_by="(AgreementDocument.title, AgreementDocument.version_number.desc())",
        cascade="all",
    )
    amendments = relationship("Amendment", back_populates="agreement", order_by="Amendment.id", cascade="all")

    @property
    def counterpart_names(self) -> str:
        return ", ".join(o.acronym or o.name for o in self.counterparts)

    @property
    def area(self) -> ReportArea:
        return self.report_area or default_area(self.kind)


def area_expression() -> sa.ColumnElement:
    """``Agreement.area`` in SQL: the area staff chose, else the one of its kind."""
    establishing = [kind.value for kind in ESTABLISHING_KINDS]
    return sa.case(
        (Agreement.report_area.is_not(None), sa.type_coerce(Agreement.report_area, sa.String)),
        (sa.type_coerce(Agreement.kind, sa.String).in_(establishing), ReportArea.OPERATIONALIZATION.value),
        else_=ReportArea.PARTNERSHIPS.value,
    )


class AgreementStep(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One dated status of an agreement's history, in the order it was entered.

    A step may be entered late; one dated surely before the step entered previously is kept and flagged.
    """

    __tablename__ = "agreement_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    status: Mapped[AgreementStatus] = mapped_column(value_enum(AgreementStatus))
    occurred: Mapped[PartialDate] = partial_date_column("occurred", nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    is_out_of_order: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    agreement = relationship("Agreement", back_populates="steps")
    recorded_by = relationship("User")

    def audit_label(self) -> str:
        return f"{self.status.label} ({self.occurred})"


class AgreementDocument(FileRecord, Audited, Timestamped, CentreScoped, db.Model):
    """One version of a document of an agreement (a draft, the signed text); versions share a title."""

    __tablename__ = "agreement_documents"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "title", "version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    version_number: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    agreement = relationship("Agreement", back_populates="documents")
    uploaded_by = relationship("User")

    def audit_label(self) -> str:
        return f"{self.title} v{self.version_number}"


class Amendment(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    agreed: Mapped[PartialDate | None] = partial_date_column("agreed")
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    agreement = relationship("Agreement", back_populates="amendments")
