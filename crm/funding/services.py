"""Ledger rules. Services validate, change and flush; the request commits. Nothing here deletes a row."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.core.errors import RuleError
from crm.core.records import create_or_update
from crm.extensions import db
from crm.funding import rollup
from crm.funding.balance import balance
from crm.funding.models import Category, FundingNeed, Kind, LedgerEntry, NeedStatus, Purpose, Stage, Tranche
from crm.money import amounts
from crm.money.amounts import AmountError, PairError, check_quantity


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


def check_links(centre_id: int, proposals, agreement) -> None:
    if any(p.centre_id != centre_id for p in proposals):
        raise LedgerError("A linked proposal belongs to another centre.", "proposal_ids")
    if agreement is not None and agreement.centre_id != centre_id:
        raise LedgerError("The linked agreement belongs to another centre.", "agreement_id")


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
        "description": text(data, "description"),
        "unit": text(data, "unit"),
        "valuation_method": text(data, "valuation_method"),
        "valuation_evidence": text(data, "valuation_evidence"),
        "notes": text(data, "notes"),
    }
    if kind.is_financial:
        if data.get("amount") in (None, ""):
            raise LedgerError("A financial entry needs its amount.", "amount")
        values["amount"], values["currency"] = money_pair(
            data.get("amount"), data.get("currency"), "amount", "currency", "The amount"
        )
        values["quantity"] = None
        values["unit"] = values["valuation_method"] = values["valuation_evidence"] = ""
        return values
    if not values["description"]:
        raise LedgerError("Say what is given: office space, equipment, interns...", "description")
    values["quantity"] = quantity(data.get("quantity"), "quantity")
    if not values["unit"]:
        raise LedgerError("Give the unit of the quantity: interns, workstations, staff provided for...", "unit")
    values["amount"], values["currency"] = money_pair(
        data.get("amount"), data.get("currency"), "amount", "currency", "The valuation"
    )
    if values["amount"] is not None and not values["valuation_method"]:
        raise LedgerError("Say how the valuation was made (market rent, day rate × days...).", "valuation_method")
    return values


def record_entry(centre_id: int, data: dict, proposals=(), agreement=None) -> LedgerEntry:
    """Book a new resource from validated form data (or a seed)."""
    values = entry_values(data)
    check_links(centre_id, proposals, agreement)
    entry = LedgerEntry(centre_id=centre_id, agreement=agreement, proposals=list(proposals), **values)
    db.session.add(entry)
    db.session.flush()
    rollup.apply(entry)
    return entry


# What an edit may change. Amounts, currency, kind and quantity are corrected by a reversal and a new entry.
EDITABLE = ("source_id", "category", "purpose", "purpose_detail", "stage", "booked_on", "description", "unit")
EDITABLE += ("valuation_method", "valuation_evidence", "notes")


def update_entry(entry: LedgerEntry, data: dict, proposals=(), agreement=None) -> LedgerEntry:
    if not entry.is_active:
        raise LedgerError("A reversed entry or a reversal cannot be edited; record a new entry instead.")
    check_links(entry.centre_id, proposals, agreement)
    with rollup.changing(entry):
        for key in EDITABLE:
            if key in data:
                value = data[key]
                value = value.strip() if isinstance(value, str) else value
                setattr(entry, key, value)
        entry.category, entry.purpose = Category(entry.category), Purpose(entry.purpose)
        entry.stage = Stage(entry.stage)
        if not entry.kind.is_financial and not entry.description:
            raise LedgerError("Say what is given: office space, equipment, interns...", "description")
        entry.proposals = list(proposals)
        entry.agreement = agreement
        db.session.flush()
    return entry


def reverse_entry(entry: LedgerEntry, reason: str, on: date) -> LedgerEntry:
    """Cancel an entry by booking its opposite; the original stays, marked reversed, and both show in history."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("Say why the entry is reversed.", "reason")
    if entry.is_reversal:
        raise LedgerError("A reversal cannot itself be reversed; record a new entry instead.")
    if entry.is_reversed:
        raise LedgerError("This entry is already reversed.")
    if any(t.reverses_id is None and t.reversed_by is None for t in entry.tranches):
        raise LedgerError("Reverse the tranches received against this entry first.")
    reversal = LedgerEntry(
        centre_id=entry.centre_id,
        source_id=entry.source_id,
        category=entry.category,
        kind=entry.kind,
        purpose=entry.purpose,
        purpose_detail=entry.purpose_detail,
        stage=entry.stage,
        amount=-entry.amount if entry.amount is not None else None,
        currency=entry.currency,
        booked_on=on,
        description=entry.description,
        quantity=-entry.quantity if entry.quantity is not None else None,
        unit=entry.unit,
        agreement_id=entry.agreement_id,
        reverses=entry,
        notes=reason,
    )
    db.session.add(reversal)
    db.session.flush()
    rollup.apply(reversal)
    return reversal


class OverOutstanding(LedgerError):
    """A tranche larger than what is outstanding: allowed only when staff confirm it."""


def record_tranche(entry: LedgerEntry, data: dict) -> Tranche:
    """Record money received against a financial entry; a tranche beyond the outstanding balance needs confirming."""
    if not entry.kind.is_financial or entry.value is None:
        raise LedgerError("Tranches are received against a financial entry with an amount.")
    if not entry.is_active:
        raise LedgerError("Nothing can be received against a reversed entry or a reversal.")
    if not data.get("received_on"):
        raise LedgerError("Give the date the tranche was received.", "received_on")
    amount, code = money_pair(data.get("amount"), data.get("currency"), "amount", "currency", "The amount received")
    if amount is None:
        raise LedgerError("Give the amount received.", "amount")
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
                f"This tranche is more than the outstanding balance ({left.rounded()}). "
                "Tick the confirmation to record it anyway; it will be flagged.",
                "amount",
            )
        tranche.is_over_outstanding = True
    tranche.entry = entry
    db.session.add(tranche)
    with rollup.changing(entry):
        if outstanding_after is not None and outstanding_after.amount <= 0:
            entry.stage = Stage.RECEIVED
        elif entry.stage == Stage.PLEDGED:
            entry.stage = Stage.COMMITTED
        db.session.flush()
    return tranche


def reverse_tranche(tranche: Tranche, reason: str) -> Tranche:
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("Say why the tranche is reversed.", "reason")
    if tranche.reverses_id is not None or tranche.reversed_by is not None:
        raise LedgerError("This tranche is already a reversal or reversed.")
    reversal = Tranche(
        centre_id=tranche.centre_id,
        entry=tranche.entry,
        received_on=tranche.received_on,
        amount=-tranche.amount,
        currency=tranche.currency,
        reverses=tranche,
        note=reason,
    )
    db.session.add(reversal)
    entry = tranche.entry
    with rollup.changing(entry):
        if entry.stage == Stage.RECEIVED:
            entry.stage = Stage.COMMITTED
        db.session.flush()
    return reversal


def save_need(need: FundingNeed | None, centre_id: int, data: dict) -> FundingNeed:
    title = text(data, "title")
    if not title:
        raise LedgerError("Say what the resources are needed for.", "title")
    amount, code = money_pair(data.get("amount"), data.get("currency"), "amount", "currency", "The estimate")
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
