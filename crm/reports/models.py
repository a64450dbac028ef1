"""A centre's resource-mobilisation section for a reporting period: the words staff edit, revision by revision.

Figures are not stored while a section is a draft: they are drafted from the registers each time
it is shown. Submitting stores the whole section as reported (``snapshot``), which is then what
every export prints.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.core.partial_dates import PartialDate, partial_date_column
from crm.core.types import value_enum
from crm.extensions import db
from crm.reports.section import FILED_LANGUAGE, OutputStatus


class ReportSection(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    __tablename__ = "report_sections"
    # English revisions are numbered 1, 2...; a working copy in another language has its own numbering.
    __table_args__ = (sa.UniqueConstraint("period_id", "language", "revision"),)
    # The snapshot repeats the whole section, the links only locate drafted words; the log records the words.
    audit_exclude = ("snapshot", "links")

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    # "en": the section as filed. Another locale of crm.core.i18n.LANGUAGES ("zh_Hans_CN", "ru"): a working copy
    # drafted from the same records in that language, never submitted nor filed.
    language: Mapped[str] = mapped_column(sa.String(20), default=FILED_LANGUAGE, server_default=FILED_LANGUAGE)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    worked_well: Mapped[str] = mapped_column(sa.Text, default="")
    challenges: Mapped[str] = mapped_column(sa.Text, default="")
    solutions: Mapped[str] = mapped_column(sa.Text, default="")
    key_figures: Mapped[str] = mapped_column(sa.Text, default="")
    # Per text field ("outcome", "worked_well"...): where the words drafted from the records sit in it
    # (``crm.reports.linked.Links.to_json``), so that a redraft updates them inside the staff's own sentences.
    links: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The day the report was filed with the GCE, as staff give it (today by default).
    filed_on: Mapped[date | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The section as reported (crm.reports.section.Section.to_json), stored on submission.
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)

    centre = relationship("Centre")
    period = relationship("ReportingPeriod")
    submitted_by = relationship("User")
    outputs = relationship(
        "ReportOutput",
        back_populates="section",
        order_by="ReportOutput.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def audit_label(self) -> str:
        if self.is_working_copy:
            return f"resource-mobilisation section, working copy in {self.language}"
        return f"resource-mobilisation section, revision {self.revision}"

    @property
    def is_working_copy(self) -> bool:
        """A copy in another language than the filed one: never submitted."""
        return (self.language or FILED_LANGUAGE) != FILED_LANGUAGE

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def submitted_on(self) -> date | None:
        """The date filed, or (before staff could give one) the day it was marked submitted."""
        if not self.is_submitted:
            return None
        return self.filed_on or self.submitted_at.date()

    def describe(self) -> str:
        """ "The submitted 2025-2026 section (revision 1, submitted 30 April 2026)"."""
        when = f", submitted {self.submitted_on:%-d %B %Y}" if self.is_submitted else ""
        return f"The submitted {self.period.label} section (revision {self.revision}{when})"


class ReportOutput(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One row of the outputs table. ``key`` names a template row; rows staff add have none. Any row may be
    retitled, moved and hidden (a hidden row is neither drafted nor printed)."""

    __tablename__ = "report_outputs"
    audit_exclude = ("links",)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("report_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str | None] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(20), default=OutputStatus.NOT_STARTED.value)
    details: Mapped[str] = mapped_column(sa.Text, default="")
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # Where the drafted words sit in ``details`` (see ReportSection.links).
    links: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    section = relationship("ReportSection", back_populates="outputs")

    def audit_label(self) -> str:
        return self.title

    @property
    def is_template_row(self) -> bool:
        return self.key is not None


class ChallengeArea(LabelledEnum):
    PARTNERSHIPS = "partnerships"
    RESOURCE_MOBILIZATION = "resource_mobilization"

    # The headings of the filed section's challenges, which is written in English: not translated.
    __labels__ = {"partnerships": "Partnerships", "resource_mobilization": "Resource mobilization"}

    @property
    def phrase(self) -> str:
        """How the reports open a point of this area: "In terms of partnership building, ..."."""
        return {"partnerships": "partnership building", "resource_mobilization": "resource mobilization"}[self.value]


class Challenge(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """A challenge staff record, with the possible solution they see: the report's challenges and solutions are
    drafted from these and from nothing else (no cause or judgement is ever generated).

    It counts in a period when noted by the period's end and not resolved before it began (``crm.core.periods``).
    """

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[ChallengeArea] = mapped_column(value_enum(ChallengeArea, 30))
    # As the report should say it: "Cooperation models still need further exploration..."
    challenge: Mapped[str] = mapped_column(sa.Text)
    solution: Mapped[str] = mapped_column(sa.Text, default="")
    noted: Mapped[PartialDate] = partial_date_column("noted", nullable=False)
    resolved: Mapped[PartialDate | None] = partial_date_column("resolved")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    centre = relationship("Centre", lazy="joined")
    recorded_by = relationship("User")

    def audit_label(self) -> str:
        return self.challenge[:120]
