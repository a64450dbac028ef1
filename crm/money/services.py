"""Rate rules: storing what a provider parsed, previews of an import, manual rates. Flush, never commit.

New rates go in with one bulk INSERT (the ECB history since 2024 is ~20,000 rows); a
changed rate is updated through the ORM so the audit log keeps its old value. Every
rate records its source, reference, when and by whom it came in.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.core.models import utcnow
from crm.extensions import db
from crm.money.currencies import normalise_currency
from crm.money.models import ExchangeRate, ImportStatus, RateImport, RateSource
from crm.money.providers.base import ParsedRate, ParsedRates


class RateError(ValueError):
    """A refused rate or import; ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class RateChanges:
    """What storing some parsed rates would do."""

    new: list[ParsedRate] = field(default_factory=list)
    changed: list[tuple[ExchangeRate, ParsedRate]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.changed)} changed, {self.unchanged} unchanged"


def existing_rates(source: str, rates: list[ParsedRate]) -> dict[tuple, ExchangeRate]:
    """The stored rates of ``source`` that ``rates`` may replace, in one query."""
    if not rates:
        return {}
    days = [r.effective_on for r in rates]
    quotes = {r.quote for r in rates}
    stored = db.session.scalars(
        sa.select(ExchangeRate).where(
            ExchangeRate.source == source,
            ExchangeRate.quote.in_(quotes),
            ExchangeRate.effective_on.between(min(days), max(days)),
        )
    )
    return {(r.base, r.quote, r.effective_on): r for r in stored}


def changes_for(source: str, rates: list[ParsedRate]) -> RateChanges:
    stored = existing_rates(source, rates)
    changes = RateChanges()
    for rate in rates:
        current = stored.get((rate.base, rate.quote, rate.effective_on))
        if current is None:
            changes.new.append(rate)
        elif current.rate != rate.rate:
            changes.changed.append((current, rate))
        else:
            changes.unchanged += 1
    return changes


def store_rates(source: str, parsed: ParsedRates, user=None) -> RateChanges:
    """Add the new rates in bulk and update the changed ones; return what was done."""
    source = str(RateSource(source))
    changes = changes_for(source, parsed.rates)
    now = utcnow()
    user_id = getattr(user, "id", None)
    if changes.new:
        db.session.execute(
            sa.insert(ExchangeRate),
            [
                {
                    "effective_on": r.effective_on,
                    "base": r.base,
                    "quote": r.quote,
                    "rate": r.rate,
                    "source": source,
                    "reference": parsed.reference[:300],
                    "imported_at": now,
                    "imported_by_id": user_id,
                }
                for r in changes.new
            ],
        )
    for stored, rate in changes.changed:
        stored.rate = rate.rate
        stored.reference = parsed.reference[:300]
        stored.imported_at = now
        stored.imported_by_id = user_id
    db.session.flush()
    return changes


# -- manual rates -----------------------------------------------------------------------------


def add_manual_rate(*, base: str, quote: str, rate: Decimal, effective_on: date, reason: str, user) -> ExchangeRate:
    base, quote = normalise_currency(base), normalise_currency(quote)
    if base == quote:
        raise RateError("Choose two different currencies.", "quote")
    if not isinstance(rate, Decimal) or rate <= 0:
        raise RateError("A rate is a positive number of quote units per 1 base unit.", "rate")
    if not (reason or "").strip():
        raise RateError("Say why this rate is entered by hand (it is shown wherever it is used).", "reason")
    clash = db.session.scalar(
        sa.select(ExchangeRate).where(
            ExchangeRate.source == RateSource.MANUAL.value,
            ExchangeRate.effective_on == effective_on,
            sa.or_(
                sa.and_(ExchangeRate.base == base, ExchangeRate.quote == quote),
                sa.and_(ExchangeRate.base == quote, ExchangeRate.quote == base),
            ),
        )
    )
    if clash is not None:
        raise RateError(
            f"A manual rate for {clash.base}/{clash.quote} on {effective_on} exists ({clash.rate.normalize()}): "
            "delete it first to replace it.",
            "effective_on",
        )
    record = ExchangeRate(
        base=base,
        quote=quote,
        rate=rate,
        effective_on=effective_on,
        source=RateSource.MANUAL.value,
        reference=f"entered by {user.name}",
        reason=reason.strip(),
        imported_by_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    return record


def delete_manual_rate(record: ExchangeRate) -> None:
    if record.source != RateSource.MANUAL.value:
        raise RateError("Only manual rates are deleted here; imported rates are replaced by importing again.")
    db.session.delete(record)
    db.session.flush()


# -- imports with a preview -------------------------------------------------------------------


def prepare_import(source: str, parsed: ParsedRates, findings: Iterable[dict], user) -> RateImport:
    """Keep a parsed file server-side until the admin has seen the preview and confirms it."""
    rows = [[r.effective_on.isoformat(), r.base, r.quote, str(r.rate)] for r in parsed.rates]
    pending = RateImport(
        source=str(RateSource(source)),
        reference=parsed.reference[:300],
        rows=rows,
        findings=[{"level": "error", "message": p} for p in parsed.problems] + list(findings),
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(pending)
    db.session.flush()
    return pending


def parsed_rows(pending: RateImport) -> ParsedRates:
    rates = [ParsedRate(date.fromisoformat(day), base, quote, Decimal(rate)) for day, base, quote, rate in pending.rows]
    return ParsedRates(rates=rates, reference=pending.reference)


def confirm_import(pending: RateImport, user, jumps_confirmed: bool) -> RateChanges:
    if pending.status != ImportStatus.PENDING:
        raise RateError(f"This import was already {pending.status}.")
    if pending.errors:
        raise RateError("This file has errors: fix it and upload it again.")
    if pending.needs_confirmation and not jumps_confirmed:
        raise RateError("Confirm the flagged rates (tick the box) or discard the import.", "confirm_jumps")
    changes = store_rates(pending.source, parsed_rows(pending), user)
    pending.status = ImportStatus.CONFIRMED.value
    pending.decided_at = utcnow()
    db.session.flush()
    return changes


def discard_import(pending: RateImport) -> None:
    if pending.status != ImportStatus.PENDING:
        raise RateError(f"This import was already {pending.status}.")
    pending.status = ImportStatus.DISCARDED.value
    pending.decided_at = utcnow()
    db.session.flush()
