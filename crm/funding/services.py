"""Ledger rules. Services validate, change and flush; the request commits. Nothing here deletes a row: a mistake is
voided, a real withdrawal is recorded as one (``crm.funding.models``)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from crm.agreements.models import Agreement
from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.core.records import create_or_update
from crm.core.templating import format_day
from crm.extensions import db
from crm.funding import rollup
from crm.funding.balance import balance
from crm.funding.models import (
    Category,
    FundingNeed,
    Kind,
    LedgerEntry,
    MobilisationStrategy,
    NeedStatus,
    Purpose,
    Stage,
    StrategySource,
    StrategyStatus,
    StrategyStep,
    Tranche,
)
from crm.money import Money, amounts
from crm.money.amounts import AmountError, PairError, check_quantity
from crm.proposals.models import Proposal


class LedgerError(RuleError):
    """Refused input; ``field`` names the form field the message belongs beside."""


def quantity(value, field: str) -> Decimal:
    try:
        return check_quantity(value)
    except AmountError as error:
        raise LedgerError(str(error), field) from None


def money_pair(amount, code, amount_field: str, currency_field: str, what: str) -> tuple[Decimal | None, str | None]:
    """(amount, currency) both given and valid (``crm.money.amounts.money_pair``), or both empty."""
    try:
        return amounts.money_pair(amount, code, what.lower())
    except PairError as error:
        raise LedgerError(str(error), amount_field if error.part == "amount" else currency_field) from None


def text(data: dict, key: str) -> str:
    return (data.get(key) or "").strip()


def links(proposal_ids, agreement_id) -> tuple[list, object]:
    """The proposals and agreement an entry names by id, for ``record_entry`` and ``update_entry`` to check."""
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids or []))).all()
    agreement = db.session.get(Agreement, agreement_id) if agreement_id else None
    return list(proposals), agreement


def check_links(centre_id: int, proposals, agreement) -> None:
    if any(p.centre_id != centre_id for p in proposals):
        raise LedgerError(_("A linked proposal belongs to another centre."), "proposal_ids")
    if agreement is not None and agreement.centre_id != centre_id:
        raise LedgerError(_("The linked agreement belongs to another centre."), "agreement_id")


def entry_values(data: dict) -> dict:
    """Checked values of a new entry; what a financial entry and a contribution in kind each require."""
    kind = Kind(data["kind"])
    values = {
        "source_id": data.get("source_id"),
        "category": Category(data["category"]),
        "kind": kind,
        "purpose": Purpose(data["purpose"]),
        "purpose_detail": text(data, "purpose_detail"),
        "stage": Stage(data["stage"]),
        "booked_on": data.get("booked_on"),
        "expected_on": data.get("expected_on"),
        "description": text(data, "description"),
        "unit": text(data, "unit"),
        "valuation_method": text(data, "valuation_method"),
        "valuation_evidence": text(data, "valuation_evidence"),
        "notes": text(data, "notes"),
    }
    if kind.is_financial:
        if data.get("amount") in (None, ""):
            raise LedgerError(_("A financial entry needs its amount."), "amount")
        values["amount"], values["currency"] = money_pair(
            data.get("amount"), data.get("currency"), "amount", "currency", _("The amount")
        )
        values["quantity"] = None
        values["unit"] = values["valuation_method"] = values["valuation_evidence"] = ""
        return values
    if not values["description"]:
        raise LedgerError(_("Say what is given: office space, equipment, interns..."), "description")
    values["quantity"] = quantity(data.get("quantity"), "quantity")
    if not values["unit"]:
        raise LedgerError(_("Give the unit of the quantity: interns, workstations, staff provided for..."), "unit")
    values["amount"], values["currency"] = money_pair(
        data.get("amount"), data.get("currency"), "amount", "currency", _("The valuation")
    )
    if values["amount"] is not None and not values["valuation_method"]:
        raise LedgerError(_("Say how the valuation was made (market rent, day rate × days...)."), "valuation_method")
    return values


def record_entry(centre_id: int, data: dict, proposals=(), agreement=None) -> LedgerEntry:
    """Book a new resource from validated form data (or a seed or an import).

    Money booked as received arrives with its tranche: the whole amount, received on the booked date, so that
    "Received" on every page is the tranches and nothing else."""
    values = entry_values(data)
    if not values["booked_on"]:
        raise LedgerError(_("Give the date the resource was pledged, committed or received."), "booked_on")
    check_expected(values["booked_on"], values["expected_on"])
    check_links(centre_id, proposals, agreement)
    entry = LedgerEntry(
        centre_id=centre_id, agreement=agreement, proposals=list(proposals), rate_on=values["booked_on"], **values
    )
    if entry.stage == Stage.RECEIVED and entry.kind.is_financial:
        entry.tranches.append(
            Tranche(
                centre_id=centre_id,
                received_on=entry.booked_on,
                amount=entry.amount,
                currency=entry.currency,
                note="Received in full when booked.",
            )
        )
    db.session.add(entry)
    db.session.flush()
    rollup.apply(entry)
    return entry


# What an edit may change. Amounts, currency, kind and quantity are corrected by a void and a new entry, or by a
# withdrawal. A withdrawal follows its entry: it nets against it in the same buckets.
EDITABLE = ("source_id", "category", "purpose", "purpose_detail", "stage", "booked_on", "description", "unit")
EDITABLE += ("valuation_method", "valuation_evidence", "notes", "expected_on")


def check_expected(booked_on: date, expected_on: date | None) -> None:
    if expected_on is not None and expected_on < booked_on:
        raise LedgerError(_("Money cannot be expected before the date it was pledged or committed."), "expected_on")


FOLLOWED_BY_WITHDRAWALS = ("source_id", "category", "purpose", "purpose_detail", "stage", "description", "unit")


def update_entry(entry: LedgerEntry, data: dict, proposals=(), agreement=None) -> LedgerEntry:
    if entry.is_voided or entry.is_withdrawal:
        raise LedgerError(_("A voided entry or a withdrawal cannot be edited; record a new entry instead."))
    check_links(entry.centre_id, proposals, agreement)
    withdrawals = entry.live_withdrawals
    booked_on = data.get("booked_on", entry.booked_on)
    if not booked_on:
        raise LedgerError(_("Give the date the resource was pledged, committed or received."), "booked_on")
    if any(w.booked_on < booked_on for w in withdrawals):
        first = min(w.booked_on for w in withdrawals)
        raise LedgerError(
            _("The entry cannot be booked after its withdrawal of %(date)s.", date=format_day(first)), "booked_on"
        )
    check_expected(booked_on, data.get("expected_on", entry.expected_on))
    stage = Stage(data.get("stage", entry.stage))
    check_stage(entry, stage)
    with rollup.changing(entry):
        for key in EDITABLE:
            if key in data:
                value = data[key]
                setattr(entry, key, value.strip() if isinstance(value, str) else value)
        entry.category, entry.purpose, entry.stage = Category(entry.category), Purpose(entry.purpose), stage
        entry.rate_on = entry.booked_on
        if not entry.kind.is_financial and not entry.description:
            raise LedgerError(_("Say what is given: office space, equipment, interns..."), "description")
        entry.proposals = list(proposals)
        entry.agreement = agreement
        db.session.flush()
    for withdrawal in withdrawals:
        with rollup.changing(withdrawal):
            for key in FOLLOWED_BY_WITHDRAWALS:
                setattr(withdrawal, key, getattr(entry, key))
            withdrawal.rate_on = entry.rate_on
            db.session.flush()
    return entry


def check_stage(entry: LedgerEntry, stage: Stage) -> None:
    """Money is received through its tranches: the stage says so only when they cover the commitment."""
    if not entry.kind.is_financial or stage == entry.stage:
        return
    received = bool(entry.live_tranches)
    if stage == Stage.RECEIVED:
        outstanding = balance(entry).outstanding
        if outstanding is None or outstanding.amount > 0:
            raise LedgerError(
                _("Money becomes Received through its tranches: record the tranche received instead."), "stage"
            )
    elif stage == Stage.PLEDGED and received:
        raise LedgerError(_("Money has been received against this entry: it is more than a pledge."), "stage")


def _reason(reason: str | None, missing: str) -> str:
    """The reason given, in one line; ``missing`` is the message when there is none."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise LedgerError(missing, "reason")
    return reason


def withdrawable(entry: LedgerEntry) -> Money | None:
    """What a withdrawal may take back: the amount left after withdrawals, less what was received (money that
    came cannot be withdrawn); None when a tranche in another currency has no rate to tell."""
    remaining = entry.remaining
    if remaining is None or not entry.kind.is_financial:
        return remaining
    return balance(entry).outstanding


def withdraw_entry(entry: LedgerEntry, data: dict, *, today: date) -> LedgerEntry:
    """Record that a pledge or commitment was withdrawn (in full, or for money in part) on the date the user gives:
    an entry of the opposite sign, in that date's period, converted at the rate of the entry it withdraws."""
    if entry.is_voided:
        raise LedgerError(_("This entry is voided: there is nothing to withdraw."))
    if entry.is_withdrawal:
        raise LedgerError(_("A withdrawal cannot itself be withdrawn; void it if it was recorded by mistake."))
    if not entry.is_active:
        raise LedgerError(_("This entry is already withdrawn in full."))
    on = data.get("withdrawn_on")
    if not on:
        raise LedgerError(_("Give the date it was withdrawn."), "withdrawn_on")
    if on < entry.booked_on:
        raise LedgerError(
            _(
                "A withdrawal cannot come before the entry it withdraws (booked on %(date)s).",
                date=format_day(entry.booked_on),
            ),
            "withdrawn_on",
        )
    if on > today:
        raise LedgerError(
            _("A withdrawal is recorded once it has happened: the date is in the future."), "withdrawn_on"
        )
    reason = _reason(data.get("reason"), _("Say why the entry is withdrawn."))
    amount, quantity_ = _withdrawn_part(entry, data.get("amount"))
    withdrawal = LedgerEntry(
        centre_id=entry.centre_id,
        withdraws=entry,
        kind=entry.kind,
        amount=-amount if amount is not None else None,
        currency=entry.currency,
        quantity=-quantity_ if quantity_ is not None else None,
        booked_on=on,
        rate_on=entry.rate_on,
        agreement_id=entry.agreement_id,
        notes=reason,
        **{key: getattr(entry, key) for key in FOLLOWED_BY_WITHDRAWALS},
    )
    db.session.add(withdrawal)
    db.session.flush()
    rollup.apply(withdrawal)
    if not entry.is_active:
        entry.expected_on = None  # withdrawn in full: nothing is expected any more
        db.session.flush()
    return withdrawal


def _withdrawn_part(entry: LedgerEntry, asked) -> tuple[Decimal | None, Decimal | None]:
    """(amount, quantity) to take back: goods and time in full; money in full or the part asked for."""
    if not entry.kind.is_financial:
        left = entry.quantity + sum((w.quantity or 0 for w in entry.live_withdrawals), Decimal(0))
        return (entry.remaining.amount if entry.remaining else None), left
    most = withdrawable(entry)
    if most is None:
        raise LedgerError(_("A tranche in another currency has no rate, so what is outstanding is not known."))
    if most.amount <= 0:
        raise LedgerError(_("Everything committed has been received: money that came cannot be withdrawn."))
    if asked in (None, ""):
        return most.amount, None
    amount, _currency = money_pair(asked, entry.currency, "amount", "amount", _("The amount withdrawn"))
    if amount > most.amount:
        raise LedgerError(_("At most %(amount)s is outstanding and can be withdrawn.", amount=most.rounded()), "amount")
    return amount, None


def void_entry(entry: LedgerEntry, reason: str, *, by_id: int | None) -> LedgerEntry:
    """An entry recorded by mistake: out of every figure of every period, with its tranches and withdrawals (a
    voided withdrawal gives its entry back). The row stays, with who voided it, when and why."""
    if entry.is_voided:
        raise LedgerError(_("This entry is already voided."))
    reason = _reason(reason, _("Say why the entry is voided."))
    at = utcnow()
    for record in [entry, *entry.live_withdrawals]:
        with rollup.changing(record):
            record.voided_at, record.voided_by_id, record.void_reason = at, by_id, reason
            for tranche in record.live_tranches:
                tranche.voided_at, tranche.voided_by_id, tranche.void_reason = at, by_id, reason
            db.session.flush()
    return entry


class OverOutstanding(LedgerError):
    """A tranche larger than what is outstanding: allowed only when staff confirm it."""


def record_tranche(entry: LedgerEntry, data: dict) -> Tranche:
    """Record money received against a financial entry; a tranche beyond the outstanding balance needs confirming."""
    if not entry.kind.is_financial or entry.value is None:
        raise LedgerError(_("Tranches are received against a financial entry with an amount."))
    if not entry.is_active:
        raise LedgerError(_("Nothing can be received against a voided or withdrawn entry, or a withdrawal."))
    if not data.get("received_on"):
        raise LedgerError(_("Give the date the tranche was received."), "received_on")
    if data["received_on"] < entry.booked_on:
        raise LedgerError(
            _(
                "Money cannot be received before it was committed (booked on %(date)s).",
                date=format_day(entry.booked_on),
            ),
            "received_on",
        )
    amount, code = money_pair(data.get("amount"), data.get("currency"), "amount", "currency", _("The amount received"))
    if amount is None:
        raise LedgerError(_("Give the amount received."), "amount")
    tranche = Tranche(
        centre_id=entry.centre_id,
        received_on=data["received_on"],
        amount=amount,
        currency=code,
        note=text(data, "note"),
    )
    before = balance(entry)
    after = balance(entry, extra=[tranche])
    outstanding_after = after.outstanding
    if outstanding_after is not None and outstanding_after.amount < 0:
        if not data.get("confirm_over"):
            left = before.outstanding
            raise OverOutstanding(
                _(
                    "This tranche is more than the outstanding balance (%(amount)s). "
                    "Tick the confirmation to record it anyway; it will be flagged.",
                    amount=left.rounded(),
                ),
                "amount",
            )
        tranche.is_over_outstanding = True
    with rollup.changing(entry):
        entry.tranches.append(tranche)
        # The money expected came: the next date, if more is to come, is for staff to give.
        entry.expected_on = None
        if outstanding_after is not None and outstanding_after.amount <= 0:
            entry.stage = Stage.RECEIVED
        elif entry.stage == Stage.PLEDGED:
            entry.stage = Stage.COMMITTED
        db.session.flush()
    _follow_stage(entry)
    return tranche


def void_tranche(tranche: Tranche, reason: str, *, by_id: int | None) -> Tranche:
    """A tranche recorded by mistake: out of every figure; the entry is no longer Received unless others cover it."""
    if tranche.is_voided:
        raise LedgerError(_("This tranche is already voided."))
    reason = _reason(reason, _("Say why the tranche is voided."))
    entry = tranche.entry
    with rollup.changing(entry):
        tranche.voided_at, tranche.voided_by_id, tranche.void_reason = utcnow(), by_id, reason
        db.session.flush()
        if entry.stage == Stage.RECEIVED:
            outstanding = balance(entry).outstanding
            if outstanding is None or outstanding.amount > 0:
                entry.stage = Stage.COMMITTED
        db.session.flush()
    _follow_stage(entry)
    return tranche


def _follow_stage(entry: LedgerEntry) -> None:
    """A withdrawal counts as what its entry has become (a pledge withdrawn, or a commitment reduced)."""
    for withdrawal in entry.live_withdrawals:
        if withdrawal.stage != entry.stage:
            with rollup.changing(withdrawal):
                withdrawal.stage = entry.stage
                db.session.flush()


def save_need(need: FundingNeed | None, centre_id: int, data: dict) -> FundingNeed:
    title = text(data, "title")
    if not title:
        raise LedgerError(_("Say what the resources are needed for."), "title")
    amount, code = money_pair(data.get("amount"), data.get("currency"), "amount", "currency", _("The estimate"))
    values = {
        "title": title,
        "purpose": Purpose(data["purpose"]),
        "status": NeedStatus(data.get("status") or NeedStatus.OPEN),
        "amount": amount,
        "currency": code,
        "notes": text(data, "notes"),
    }
    need = create_or_update(FundingNeed, need, values, centre_id=centre_id)
    db.session.flush()
    return need


def entries_for_proposal(proposal_id: int) -> list[LedgerEntry]:
    from crm.funding.models import ledger_entry_proposals as link

    return db.session.scalars(
        sa.select(LedgerEntry).join(link, link.c.entry_id == LedgerEntry.id).where(link.c.proposal_id == proposal_id)
    ).all()


# --- the resource mobilisation strategy ----------------------------------------------------------------------


def save_strategy(strategy: MobilisationStrategy | None, centre_id: int, data: dict) -> MobilisationStrategy:
    """The centre's strategy from a form or a seed: ``status``, ``adopted`` (a PartialDate), ``notes``, ``sources``
    ({"id", "label", "categories"}) and ``steps`` ({"id", "action", "source" (a source's label), "due", "done"}). A
    source without a label or a step without an action is removed; steps name their source by its label, so a
    source and its steps can be entered together."""
    try:
        status = StrategyStatus(data.get("status") or StrategyStatus.NOT_STARTED)
    except ValueError:
        raise LedgerError(_("Choose the strategy's status."), "status") from None
    adopted = data.get("adopted")
    if adopted and status != StrategyStatus.ADOPTED:
        raise LedgerError(
            _("Only an adopted strategy has a date of adoption: choose “Adopted” or leave it empty."), "adopted"
        )
    strategy = create_or_update(
        MobilisationStrategy,
        strategy,
        {"status": status, "adopted": adopted, "notes": text(data, "notes")},
        centre_id=centre_id,
    )
    sources = _kept(StrategySource, strategy.sources, data.get("sources") or [], "label", _source_values, strategy)
    by_label = {source.label.casefold(): source for source in sources}
    if len(by_label) != len(sources):
        raise LedgerError(_("Two sources have the same name: give each its own."), "sources")
    strategy.sources = sources
    steps = data.get("steps") or []
    strategy.steps = _kept(
        StrategyStep, strategy.steps, steps, "action", lambda item, at: _step_values(item, at, by_label), strategy
    )
    # The version moves even when only sources or steps changed, so that a form drawn before is a conflict.
    strategy.updated_at = utcnow()
    db.session.flush()
    return strategy


def _kept(model, existing, items: list[dict], required: str, values, strategy) -> list:
    """The child records the form keeps, in its order: existing ones (by id) updated, new ones made, blank ones
    left out (and so deleted)."""
    known = {record.id: record for record in existing}
    kept = []
    for position, item in enumerate(items):
        if not text(item, required):
            continue
        record = known.get(int(item["id"])) if str(item.get("id") or "").isdigit() else None
        kept.append(create_or_update(model, record, values(item, position), centre_id=strategy.centre_id))
    return kept


def _source_values(item: dict, position: int) -> dict:
    categories = [c for c in item.get("categories") or [] if c]
    try:
        categories = [Category(c).value for c in categories]
    except ValueError:
        raise LedgerError(_("Choose the source's categories from the list."), "sources") from None
    return {"label": " ".join(text(item, "label").split())[:300], "categories": categories, "position": position}


def _step_values(item: dict, position: int, sources: dict) -> dict:
    named = text(item, "source")
    source = sources.get(named.casefold()) if named else None
    if named and source is None:
        raise LedgerError(_("The step names a source the strategy does not have: %(source)s.", source=named), "steps")
    due, done = item.get("due"), item.get("done")
    return {"action": text(item, "action"), "source": source, "due": due, "done": done, "position": position}
