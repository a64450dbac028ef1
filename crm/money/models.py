"""Exchange rates, one table for every source, and file imports waiting for an admin's confirmation.

A stored rate reads "1 ``base`` = ``rate`` ``quote`` from ``effective_on``": UN rates
have base USD, ECB rates base EUR, manual rates whatever pair the admin entered.
Inverse and cross rates are derived at conversion time, never stored.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import Audited, Timestamped, Versioned, utcnow
from crm.core.types import RATE_SCALE, ExactDecimal
from crm.extensions import db


class RateSource(enum.StrEnum):
    MANUAL = "manual"
    UN = "un"
    ECB = "ecb"
    FOREX = "forex"

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


# The scope of a rate that converts anything in its range: every imported rate, and network manual rates.
NETWORK = "network"

# In the reader's language (rate pages, cited rates); the filed report quotes them drafted under force_locale("en").
SOURCE_LABELS = {
    RateSource.MANUAL: _l("manual rate"),
    RateSource.UN: _l("UN operational rate"),
    RateSource.ECB: _l("ECB reference rate"),
    RateSource.FOREX: _l("forex-python rate"),
}
# The English words, for the conversion errors still written in English around them.
# One rate of a source, inside a sentence (why a conversion failed); read when the sentence is made.
SOURCE_WORDS = {
    RateSource.MANUAL: lazy_pgettext("a rate of a source, in a sentence", "manual rate"),
    RateSource.UN: lazy_pgettext("a rate of a source, in a sentence", "UN operational rate"),
    RateSource.ECB: lazy_pgettext("a rate of a source, in a sentence", "ECB reference rate"),
    RateSource.FOREX: lazy_pgettext("a rate of a source, in a sentence", "forex-python rate"),
}


class ExchangeRate(Audited, Versioned, Timestamped, db.Model):
    __tablename__ = "exchange_rates"
    __table_args__ = (
        sa.UniqueConstraint("source", "base", "quote", "effective_on", "scope"),
        sa.CheckConstraint("rate > 0", name="rate_positive"),
        sa.CheckConstraint("base <> quote", name="distinct_currencies"),
        # The lookups: a source's rates for some currencies over a date range.
        sa.Index("ix_exchange_rates_quote_lookup", "quote", "source", "effective_on"),
        sa.Index("ix_exchange_rates_base_lookup", "base", "source", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_on: Mapped[date]
    base: Mapped[str] = mapped_column(sa.String(3))
    quote: Mapped[str] = mapped_column(sa.String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(RATE_SCALE))
    source: Mapped[str] = mapped_column(sa.String(10))
    # The file name or publication the rate came from.
    reference: Mapped[str] = mapped_column(sa.String(300), default="")
    # Why an admin entered it (manual rates).
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # What a manual rate converts: the network within its range (effective_on..valid_until), or only one ledger
    # entry (a grant letter's rate) or the entries of one agreement, whatever their dates. "network", "entry:ID",
    # "agreement:ID": the key the lookups use; the ids below keep the records it names from being deleted.
    scope: Mapped[str] = mapped_column(sa.String(40), default=NETWORK)
    scope_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    scope_agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    valid_until: Mapped[date | None]
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    imported_by = relationship("User")

    def audit_label(self) -> str:
        return f"{self.source} {self.base}/{self.quote} {self.effective_on}"

    @property
    def scope_words(self) -> str:
        """ "the network, 1–31 October 2026", "ledger entry #12", "agreement #5"."""
        from flask_babel import gettext as _

        if self.scope == NETWORK:
            if self.source != RateSource.MANUAL.value:
                return _("the network")
            return _("the network, %(start)s to %(end)s", start=self.effective_on, end=self.valid_until)
        kind, _colon, number = self.scope.partition(":")
        if kind == "entry":
            return _("ledger entry #%(number)s", number=number)
        return _("agreement #%(number)s", number=number)

    @property
    def source_label(self) -> str:
        return RateSource(self.source).label

    @property
    def inverse(self) -> Decimal:
        """1 ÷ rate, to the rates table's decimals, for reading only (conversions keep the exact ratio)."""
        return (1 / self.rate).quantize(Decimal(1).scaleb(-RATE_SCALE))


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


class RateImport(Audited, Versioned, Timestamped, db.Model):
    """A parsed rates file kept server-side between its preview and the admin's confirmation."""

    __tablename__ = "rate_imports"
    audit_exclude = ("rows", "findings")

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(10))
    reference: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(10), default=ImportStatus.PENDING.value)
    # [[effective_on ISO, base, quote, rate as text], ...]: exact, and small (a UN month is ~160 rows).
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    # [{"level": "error" | "warning" | "confirm", "message": ...}, ...]
    findings: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    created_by = relationship("User")

    def audit_label(self) -> str:
        return self.reference

    @property
    def errors(self) -> list[str]:
        return [f["message"] for f in self.findings if f["level"] == "error"]

    @property
    def needs_confirmation(self) -> list[str]:
        return [f["message"] for f in self.findings if f["level"] == "confirm"]

    @property
    def warnings(self) -> list[str]:
        return [f["message"] for f in self.findings if f["level"] == "warning"]
