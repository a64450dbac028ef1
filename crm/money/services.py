"""Rate rules: storing what a provider parsed, previews of an import, manual rates. Flush, never commit.

New rates go in with one bulk INSERT (the ECB history since 2024 is ~20,000 rows); a
changed rate is updated through the ORM so the audit log keeps its old value. Every
rate records its source, reference, when and by whom it came in.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db
from crm.money.amounts import AmountError, check_rate
from crm.money.currencies import normalise_currency
from crm.money.display import plain_decimal
from crm.money.models import ExchangeRate, ImportStatus, RateImport, RateSource
from crm.money.providers.base import ParsedRate, ParsedRates


class RateError(RuleError):
    """A refused rate or import; ``field`` names the form field the message belongs beside."""


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
                    "reason": f"imported from {parsed.reference}" if source == RateSource.MANUAL else "",
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
    try:
        rate = check_rate(rate)
    except AmountError as error:
        raise RateError(str(error), "rate") from None
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
            f"A manual rate for {clash.base}/{clash.quote} on {effective_on} exists ({plain_decimal(clash.rate)}): "
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


# -- validation before an import -------------------------------------------------------------

# A rate moving more than this against the previous one of its source is flagged for confirmation.
JUMP_THRESHOLD = Decimal("0.10")


def review(source: str, parsed: ParsedRates, threshold: Decimal = JUMP_THRESHOLD) -> list[dict]:
    """Findings an admin should see before confirming: currencies that vanished, rates that jumped."""
    if not parsed.rates:
        return []
    source = str(RateSource(source))
    first_day = min(r.effective_on for r in parsed.rates)
    previous = previous_rates(source, first_day)
    findings = []
    in_file = {(r.base, r.quote) for r in parsed.rates}
    if source == RateSource.UN:
        for (base, quote), stored in sorted(previous.items()):
            if (base, quote) not in in_file and (first_day - stored.effective_on).days <= 45:
                findings.append(
                    {
                        "level": "warning",
                        "message": f"{quote} was in the UN list of {stored.effective_on} and is missing from this file "
                        "(expected in a mid-month revision; otherwise ask UN Treasury).",
                    }
                )
    first_of_pair = {}
    for rate in sorted(parsed.rates, key=lambda r: r.effective_on):
        first_of_pair.setdefault((rate.base, rate.quote), rate)
    for pair, rate in sorted(first_of_pair.items()):
        stored = previous.get(pair)
        if stored is None:
            continue
        change = rate.rate / stored.rate - 1
        if abs(change) > threshold:
            findings.append(
                {
                    "level": "confirm",
                    "message": f"{rate.quote}: {plain_decimal(rate.rate)} per {rate.base} on {rate.effective_on} "
                    f"against {plain_decimal(stored.rate)} on {stored.effective_on} ({change:+.1%}): "
                    "confirm it is not a typo.",
                }
            )
    return findings


def previous_rates(source: str, before: date) -> dict[tuple[str, str], ExchangeRate]:
    """The latest stored rate of each pair of ``source`` before ``before`` (within 60 days), in one query."""
    latest = (
        sa.select(ExchangeRate.base, ExchangeRate.quote, sa.func.max(ExchangeRate.effective_on).label("day"))
        .where(
            ExchangeRate.source == source,
            ExchangeRate.effective_on < before,
            ExchangeRate.effective_on >= before - timedelta(days=60),
        )
        .group_by(ExchangeRate.base, ExchangeRate.quote)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(ExchangeRate)
        .join(
            latest,
            sa.and_(
                ExchangeRate.base == latest.c.base,
                ExchangeRate.quote == latest.c.quote,
                ExchangeRate.effective_on == latest.c.day,
            ),
        )
        .where(ExchangeRate.source == source)
    )
    return {(r.base, r.quote): r for r in rows}


# -- imports with a preview -------------------------------------------------------------------


# What each importable kind of file is parsed by, and the source its rates are stored under.
FILE_KINDS = {
    "un": ("UN operational rates (XML or CSV)", RateSource.UN),
    "ecb": ("ECB reference rates history (zip or CSV)", RateSource.ECB),
    "csv": ("Rates table CSV: effective_on,base,quote,rate (stored as manual rates)", RateSource.MANUAL),
}


def parse_file(kind: str, content: bytes, filename: str) -> ParsedRates:
    from crm.money.providers import ecb, table, un

    if kind == "un":
        return un.parse(content, filename)
    if kind == "ecb":
        return ecb.parse(content, filename)
    if kind == "csv":
        return table.parse(content, filename)
    raise RateError(f"Unknown kind of file {kind!r}.", "kind")


def stage_import(kind: str, content: bytes, filename: str, user) -> RateImport:
    """Parse and review a file, and keep it pending for the admin's confirmation."""
    parsed = parse_file(kind, content, filename)
    source = FILE_KINDS[kind][1]
    return prepare_import(source, parsed, review(source, parsed), user)


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
