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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db
from crm.money.amounts import AmountError, check_rate
from crm.money.currencies import normalise_currency
from crm.money.display import plain_decimal
from crm.money.models import NETWORK, ExchangeRate, ImportStatus, RateImport, RateSource
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
                    # A manual rate from a file converts the network for the month it starts.
                    "valid_until": r.effective_on + timedelta(days=31) if source == RateSource.MANUAL else None,
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


MAX_NETWORK_RANGE_DAYS = 366


def add_manual_rate(
    *,
    base: str,
    quote: str,
    rate: Decimal,
    effective_on: date,
    reason: str,
    user,
    scope: str = NETWORK,
    valid_until: date | None = None,
    entry_id: int | None = None,
    agreement_id: int | None = None,
) -> ExchangeRate:
    """A rate entered by an admin for a purpose: every amount of the pair from ``effective_on`` to ``valid_until``
    (the network), or only one ledger entry or the entries of one agreement, whatever their dates."""
    base, quote = normalise_currency(base), normalise_currency(quote)
    if base == quote:
        raise RateError(_("Choose two different currencies."), "quote")
    try:
        rate = check_rate(rate)
    except AmountError as error:
        raise RateError(str(error), "rate") from None
    if not (reason or "").strip():
        raise RateError(_("Say why this rate is entered by hand (it is shown wherever it is used)."), "reason")
    scope_key, values = _scope(scope, base, quote, effective_on, valid_until, entry_id, agreement_id)
    clash = _overlapping(base, quote, scope_key, effective_on, values["valid_until"])
    if clash is not None:
        raise RateError(
            _(
                "A manual rate for %(pair)s already converts %(scope)s (%(rate)s from %(date)s): "
                "delete it first to replace it.",
                pair=f"{clash.base}/{clash.quote}",
                scope=clash.scope_words,
                rate=plain_decimal(clash.rate),
                date=clash.effective_on,
            ),
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
        scope=scope_key,
        **values,
    )
    db.session.add(record)
    db.session.flush()
    return record


def _scope(scope, base, quote, effective_on, valid_until, entry_id, agreement_id) -> tuple[str, dict]:
    """The scope key and columns of a manual rate, or RateError naming the field at fault."""
    from crm.agreements.models import Agreement
    from crm.funding.models import LedgerEntry

    if scope == NETWORK:
        if valid_until is None:
            raise RateError(_("Give the last day the rate converts amounts of the network."), "valid_until")
        if valid_until < effective_on:
            raise RateError(_("The range ends before it starts."), "valid_until")
        if (valid_until - effective_on).days > MAX_NETWORK_RANGE_DAYS:
            raise RateError(
                _("A range of the whole network is at most %(days)s days.", days=MAX_NETWORK_RANGE_DAYS), "valid_until"
            )
        return NETWORK, {"valid_until": valid_until}
    if scope == "entry":
        entry = db.session.get(LedgerEntry, entry_id) if entry_id else None
        if entry is None or entry.is_voided:
            raise RateError(_("There is no such ledger entry (give the number in its address)."), "entry_id")
        if entry.currency not in (base, quote):
            raise RateError(
                _("This entry is in %(currency)s: its rate must be to or from it.", currency=entry.currency)
                if entry.currency
                else _("This entry is in no currency: its rate must be to or from it."),
                "base",
            )
        return f"entry:{entry.id}", {"scope_entry_id": entry.id, "valid_until": None}
    if scope == "agreement":
        agreement = db.session.get(Agreement, agreement_id) if agreement_id else None
        if agreement is None:
            raise RateError(_("Choose the agreement."), "agreement_id")
        return f"agreement:{agreement.id}", {"scope_agreement_id": agreement.id, "valid_until": None}
    raise RateError(_("Choose what the rate converts."), "scope")


def _overlapping(base: str, quote: str, scope: str, starts_on: date, ends_on: date | None) -> ExchangeRate | None:
    """A manual rate of the same pair (either way round) and scope whose time overlaps: one scope has one rate at a
    time. Scoped rates have no end: two for one entry or agreement always overlap."""
    r = ExchangeRate
    stmt = sa.select(r).where(
        r.source == RateSource.MANUAL.value,
        r.scope == scope,
        sa.or_(sa.and_(r.base == base, r.quote == quote), sa.and_(r.base == quote, r.quote == base)),
    )
    if scope == NETWORK:
        stmt = stmt.where(r.effective_on <= ends_on, sa.or_(r.valid_until.is_(None), r.valid_until >= starts_on))
    return db.session.scalar(stmt.limit(1))


def delete_manual_rate(record: ExchangeRate) -> None:
    if record.source != RateSource.MANUAL.value:
        raise RateError(_("Only manual rates are deleted here; imported rates are replaced by importing again."))
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
    # A monthly list takes effect on the first of the month and carries every currency; a mid-month revision only
    # the currencies that changed, so that what it leaves out is not missing.
    monthly = source == RateSource.UN and all(r.effective_on.day == 1 for r in parsed.rates)
    if monthly:
        for (base, quote), stored in sorted(previous.items()):
            if (base, quote) not in in_file and (first_day - stored.effective_on).days <= 45:
                findings.append(
                    {
                        "level": "warning",
                        "message": f"{quote} was in the UN list of {stored.effective_on} and is missing from this file "
                        "(expected in a mid-month revision; otherwise ask UN Treasury).",
                    }
                )
    if source == RateSource.UN:
        findings += superseded(source, changes_for(source, parsed.rates).new)
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


def superseded(source: str, rates: list[ParsedRate]) -> list[dict]:
    """Rates of the file that a newer stored rate of the same source already supersedes (a revision older than the
    list stored after it): they convert only the days until that newer one, which the admin confirms."""
    if not rates:
        return []
    pairs = {(r.base, r.quote) for r in rates}
    newest = {
        (base, quote): day
        for base, quote, day in db.session.execute(
            sa.select(ExchangeRate.base, ExchangeRate.quote, sa.func.max(ExchangeRate.effective_on))
            .where(ExchangeRate.source == source, ExchangeRate.scope == NETWORK)
            .group_by(ExchangeRate.base, ExchangeRate.quote)
        )
    }
    findings = []
    for rate in sorted(rates, key=lambda r: (r.quote, r.effective_on)):
        later = newest.get((rate.base, rate.quote))
        if (rate.base, rate.quote) in pairs and later and later > rate.effective_on:
            findings.append(
                {
                    "level": "confirm",
                    "message": f"{rate.quote}: this rate of {rate.effective_on} is older than the one of {later} "
                    f"already stored, which supersedes it: it converts {rate.effective_on} to the day before "
                    f"{later} only.",
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
    "un": (_l("UN operational rates (XML or CSV)"), RateSource.UN),
    "ecb": (_l("ECB reference rates history (zip or CSV)"), RateSource.ECB),
    "csv": (_l("Rates table CSV: effective_on,base,quote,rate (stored as manual rates)"), RateSource.MANUAL),
}


def parse_file(kind: str, content: bytes, filename: str) -> ParsedRates:
    from crm.money.providers import ecb, table, un

    if kind == "un":
        return un.parse(content, filename)
    if kind == "ecb":
        return ecb.parse(content, filename)
    if kind == "csv":
        return table.parse(content, filename)
    raise RateError(_("Unknown kind of file %(kind)r.", kind=kind), "kind")


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
        raise RateError(_("This import was already %(status)s.", status=pending.status))
    if pending.errors:
        raise RateError(_("This file has errors: fix it and upload it again."))
    if pending.needs_confirmation and not jumps_confirmed:
        raise RateError(_("Confirm the flagged rates (tick the box) or discard the import."), "confirm_jumps")
    changes = store_rates(pending.source, parsed_rows(pending), user)
    pending.status = ImportStatus.CONFIRMED.value
    pending.decided_at = utcnow()
    db.session.flush()
    return changes


def discard_import(pending: RateImport) -> None:
    if pending.status != ImportStatus.PENDING:
        raise RateError(_("This import was already %(status)s.", status=pending.status))
    pending.status = ImportStatus.DISCARDED.value
    pending.decided_at = utcnow()
    db.session.flush()
