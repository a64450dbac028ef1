"""A centre's resource-mobilisation section for a reporting period: the words staff edit, revision by revision.

Figures are not stored while a section is a draft: they are drafted from the registers each time
it is shown. Submitting stores the whole section as reported (``snapshot``), which is then what
every export prints.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import Audited, CentreScoped, Timestamped, Versioned
from crm.extensions import db
from crm.reports.section import OutputStatus


class ReportSection(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    __tablename__ = "report_sections"
    __table_args__ = (sa.UniqueConstraint("period_id", "revision"),)
    # The snapshot repeats the whole section; the log records who submitted and when.
    audit_exclude = ("snapshot",)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    worked_well: Mapped[str] = mapped_column(sa.Text, default="")
    challenges: Mapped[str] = mapped_column(sa.Text, default="")
    solutions: Mapped[str] = mapped_column(sa.Text, default="")
    key_figures: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
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
        return f"resource-mobilisation section, revision {self.revision}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def describe(self) -> str:
        """ "The submitted 2025-2026 section (revision 1, submitted 30 April 2026)"."""
        when = f", submitted {self.submitted_at:%-d %B %Y}" if self.submitted_at else ""
        return f"The submitted {self.period.label} section (revision {self.revision}{when})"


class ReportOutput(Audited, Versioned, Timestamped, CentreScoped, db.Model):
    """One row of the outputs table. ``key`` names a template row; rows staff add have none."""

    __tablename__ = "report_outputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("report_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str | None] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(20), default=OutputStatus.NOT_STARTED.value)
    details: Mapped[str] = mapped_column(sa.Text, default="")

    section = relationship("ReportSection", back_populates="outputs")

    def audit_label(self) -> str:
        return self.title

    @property
    def is_template_row(self) -> bool:
        return self.key is not None
