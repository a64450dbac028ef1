"""Proposal and funding-mechanism rules. Services validate, change and flush; the request commits."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from crm.core.errors import RuleError
from crm.core.kmgbf import check_targets
from crm.core.records import create_or_update
from crm.core.templating import format_day
from crm.core.text import web_address
from crm.core.uploads import StoredUpload
from crm.extensions import db
from crm.money import amounts, normalise_currency
from crm.money.amounts import PairError
from crm.partners.models import Organisation
from crm.proposals.models import (
    CallDeadline,
    FundingMechanism,
    MechanismKind,
    PartnerRole,
    Proposal,
    ProposalDocument,
    ProposalPartner,
    ProposalStatus,
    ProposalStatusChange,
)


class ProposalError(RuleError):
    """Refused input; ``field`` names the form field the message belongs beside."""


def text(data: dict, key: str) -> str:
    return (data.get(key) or "").strip()


def money_pair(data: dict, amount_key: str, currency_key: str, what: str):
    """(amount, currency) both given and valid (``crm.money.amounts.money_pair``), or both empty."""
    try:
        return amounts.money_pair(data.get(amount_key), data.get(currency_key), what)
    except PairError as error:
        raise ProposalError(str(error), amount_key if error.part == "amount" else currency_key) from None


def check_dates(submitted_on: date | None, decision_on: date | None) -> None:
    if submitted_on and decision_on and decision_on < submitted_on:
        raise ProposalError(
            _(
                "The decision (%(decision)s) cannot come before the submission (%(submission)s).",
                decision=format_day(decision_on),
                submission=format_day(submitted_on),
            ),
            "decision_on",
        )


def check_award(status: ProposalStatus, awarded_amount) -> None:
    if awarded_amount is not None and status != ProposalStatus.APPROVED:
        raise ProposalError(
            _("Only an approved proposal has an awarded amount; this one is %(status)s.", status=status.label.lower()),
            "awarded_amount",
        )


def check_mechanism(funder_id: int, mechanism_id: int | None) -> None:
    if mechanism_id is None:
        return
    mechanism = db.session.get(FundingMechanism, mechanism_id)
    if mechanism is None or mechanism.funder_id != funder_id:
        raise ProposalError(_("This programme or call belongs to another funder."), "mechanism_id")


def proposal_values(data: dict, status: ProposalStatus) -> dict:
    title = text(data, "title")
    if not title:
        raise ProposalError(_("Give the proposal's title."), "title")
    if not data.get("funder_id"):
        raise ProposalError(_("Choose the funder."), "funder_id")
    requested = money_pair(data, "requested_amount", "requested_currency", _("requested amount"))
    awarded = money_pair(data, "awarded_amount", "awarded_currency", _("awarded amount"))
    check_award(status, awarded[0])
    check_dates(data.get("submitted_on"), data.get("decision_on"))
    check_mechanism(data["funder_id"], data.get("mechanism_id"))
    try:
        targets = check_targets(data.get("kmgbf_targets") or [])
    except ValueError as error:
        raise ProposalError(str(error), "kmgbf_targets") from error
    probability = data.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        raise ProposalError(_("The probability is a percentage from 0 to 100."), "probability")
    return {
        "title": title,
        "funder_id": data["funder_id"],
        "mechanism_id": data.get("mechanism_id"),
        "requested_amount": requested[0],
        "requested_currency": requested[1],
        "awarded_amount": awarded[0],
        "awarded_currency": awarded[1],
        "deadline_on": data.get("deadline_on"),
        "submitted_on": data.get("submitted_on"),
        "decision_on": data.get("decision_on"),
        "probability": probability,
        "owner_id": data.get("owner_id"),
        "kmgbf_targets": targets,
        "summary": text(data, "summary"),
        "notes": text(data, "notes"),
    }


def set_partners(proposal: Proposal, co_applicant_ids, partner_ids) -> None:
    """Replace the proposal's organisations; one organisation takes one role (co-applicant wins)."""
    wanted = {int(i): PartnerRole.CO_APPLICANT for i in co_applicant_ids or ()}
    for i in partner_ids or ():
        wanted.setdefault(int(i), PartnerRole.PARTNER)
    if proposal.funder_id in wanted:
        raise ProposalError(_("The funder cannot also be a co-applicant or partner."), "partner_ids")
    current = {p.organisation_id: p for p in proposal.partners}
    for organisation_id, link in current.items():
        if organisation_id not in wanted:
            proposal.partners.remove(link)
        elif link.role != wanted[organisation_id]:
            link.role = wanted[organisation_id]
    for organisation_id, role in wanted.items():
        if organisation_id not in current:
            proposal.partners.append(ProposalPartner(organisation_id=organisation_id, role=role))


def create_proposal(centre_id: int, data: dict, user=None, today: date | None = None) -> Proposal:
    """A new proposal with its first status, dated as given, else ``today`` (the rule of an agreement's first step:
    the day it was entered when no date is given)."""
    status = ProposalStatus(data.get("status") or ProposalStatus.IDEA)
    proposal = Proposal(centre_id=centre_id, status=status, **proposal_values(data, status))
    proposal.status_changes.append(
        ProposalStatusChange(
            status=status,
            changed_on=data.get("status_on") or today,
            note=text(data, "status_note"),
            recorded_by_id=user.id if user else None,
        )
    )
    db.session.add(proposal)
    set_partners(proposal, data.get("co_applicant_ids"), data.get("partner_ids"))
    db.session.flush()
    return proposal


def update_proposal(proposal: Proposal, data: dict) -> Proposal:
    """Change the details; the status changes only through ``change_status``, which keeps the dated history."""
    create_or_update(Proposal, proposal, proposal_values(data, proposal.status))
    set_partners(proposal, data.get("co_applicant_ids"), data.get("partner_ids"))
    db.session.flush()
    return proposal


def change_status(proposal: Proposal, data: dict, user=None) -> ProposalStatusChange:
    """Move a proposal along the pipeline, with the date it happened and what the decision brought."""
    try:
        status = ProposalStatus(data.get("status") or "")
    except ValueError:
        raise ProposalError(_("Choose the new status."), "status") from None
    if status not in proposal.next_statuses:
        allowed = ", ".join(s.label.lower() for s in proposal.next_statuses) or _("nothing: its outcome is final")
        raise ProposalError(
            _("A %(label)s proposal can move to %(allowed)s.", label=proposal.status.label.lower(), allowed=allowed),
            "status",
        )
    changed_on = data.get("changed_on")
    if changed_on is None:
        raise ProposalError(_("Give the date of the change."), "changed_on")
    submitted_on, decision_on = proposal.submitted_on, proposal.decision_on
    if status == ProposalStatus.SUBMITTED:
        submitted_on = changed_on
    if status.is_decided and status != ProposalStatus.WITHDRAWN:
        decision_on = changed_on
    check_dates(submitted_on, decision_on)
    awarded_amount, awarded_currency = money_pair(data, "awarded_amount", "awarded_currency", _("awarded amount"))
    check_award(status, awarded_amount)
    proposal.status = status
    proposal.submitted_on, proposal.decision_on = submitted_on, decision_on
    if awarded_amount is not None:
        proposal.awarded_amount, proposal.awarded_currency = awarded_amount, awarded_currency
    # A staff override was about the old status; the new status brings its own default.
    proposal.probability = None
    change = ProposalStatusChange(
        status=status, changed_on=changed_on, note=text(data, "note"), recorded_by_id=user.id if user else None
    )
    proposal.status_changes.append(change)
    db.session.flush()
    return change


def add_document(proposal: Proposal, title: str, upload: StoredUpload, user=None) -> ProposalDocument:
    title = (title or "").strip() or upload.original_name
    document = ProposalDocument(
        proposal=proposal, centre_id=proposal.centre_id, title=title, uploaded_by_id=user.id if user else None
    )
    document.fill_from(upload)
    db.session.add(document)
    db.session.flush()
    return document


def save_mechanism(mechanism: FundingMechanism | None, data: dict) -> FundingMechanism:
    name = text(data, "name")
    if not name:
        raise ProposalError(_("Give the programme or call's name."), "name")
    if not data.get("funder_id") or db.session.get(Organisation, data["funder_id"]) is None:
        raise ProposalError(_("Choose the funder."), "funder_id")
    clash = db.session.scalar(
        sa.select(FundingMechanism.id).where(
            FundingMechanism.funder_id == data["funder_id"], FundingMechanism.name == name
        )
    )
    if clash is not None and (mechanism is None or clash != mechanism.id):
        raise ProposalError(_("This funder already has a programme or call with that name."), "name")
    code = data.get("currency") or None
    try:
        code = normalise_currency(code) if code else None
    except ValueError as error:
        raise ProposalError(str(error), "currency") from error
    values = {
        "funder_id": data["funder_id"],
        "name": name,
        "kind": MechanismKind(data.get("kind") or MechanismKind.PROGRAMME),
        "currency": code,
        "eligibility_notes": text(data, "eligibility_notes"),
        "website": website(data),
    }
    mechanism = create_or_update(FundingMechanism, mechanism, values)
    db.session.flush()
    return mechanism


def website(data: dict) -> str:
    try:
        return web_address(data.get("website"))
    except ValueError as error:
        raise ProposalError(str(error), "website") from None


def _deadline_values(data: dict) -> dict:
    label = text(data, "label")
    if not label:
        raise ProposalError(_("Say what is due (full proposal, concept note...)."), "label")
    if not data.get("due_on"):
        raise ProposalError(_("Give the deadline's date."), "due_on")
    return {"label": label, "due_on": data["due_on"], "is_yearly": bool(data.get("is_yearly"))}


def add_deadline(mechanism: FundingMechanism, data: dict) -> CallDeadline:
    deadline = CallDeadline(**_deadline_values(data))
    mechanism.deadlines.append(deadline)
    db.session.flush()
    return deadline


def update_deadline(deadline: CallDeadline, data: dict) -> CallDeadline:
    """A deadline moved or renamed: the same record, so calendars move its event instead of adding one."""
    for name, value in _deadline_values(data).items():
        setattr(deadline, name, value)
    db.session.flush()
    return deadline
