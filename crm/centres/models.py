from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.i18n import country_name
from crm.core.models import Audited, Timestamped, Versioned
from crm.extensions import db


class Centre(Audited, Versioned, Timestamped, db.Model):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    short_name: Mapped[str] = mapped_column(sa.String(100), default="")
    host_institution: Mapped[str] = mapped_column(sa.String(300))
    # ISO 3166-1 alpha-2 of the host country: experts are domestic or foreign relative to it.
    host_country: Mapped[str | None] = mapped_column(sa.String(2))
    launched_on: Mapped[date | None]
    reporting_currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    # ISO 3166-1 alpha-2 codes of the Parties served, in the order the centre lists them.
    parties: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    periods = relationship(
        "ReportingPeriod", back_populates="centre", order_by="ReportingPeriod.starts_on", cascade="all, delete-orphan"
    )

    def audit_label(self) -> str:
        return self.code

    @property
    def party_names(self) -> list[str]:
        return [country_name(code) for code in self.parties]

    @property
    def display_name(self) -> str:
        return self.short_name or self.code


class ReportingPeriod(Audited, Versioned, Timestamped, db.Model):
    __tablename__ = "reporting_periods"
    __table_args__ = (
        sa.UniqueConstraint("centre_id", "label"),
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(50))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    centre = relationship("Centre", back_populates="periods")

    def audit_label(self) -> str:
        return self.label

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on
