"""Agreements, their dated status history, documents and amendments. Services flush; the request commits."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from crm.agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementKind,
    AgreementStatus,
    AgreementStep,
    Amendment,
    ReportArea,
)
from crm.core.deletion import Deletion, consequences, counted, delete_record, deletion
from crm.core.errors import RuleError
from crm.core.partial_dates import PartialDate
from crm.core.templating import format_partial
from crm.core.uploads import StoredUpload
from crm.extensions import db
from crm.partners.models import Organisation
from crm.partners.services import follow_signature


class AgreementError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""


def counterparts(ids) -> list[Organisation]:
    wanted = {int(i) for i in ids or []}
    found = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(wanted))).all() if wanted else []
    if len(found) != len(wanted):
        raise AgreementError(_("Choose counterparts from the directory."), "counterpart_ids")
    return list(found)


def check_key_dates(data: dict) -> None:
    effective, expiry = data.get("effective"), data.get("expiry")
    if effective and expiry and expiry.surely_before(effective):
        raise AgreementError(_("The agreement cannot expire before it takes effect."), "expiry")


KEY_FIELDS = ("title", "responsible", "signed", "signed_place", "effective", "expiry", "next_review", "notes")


def create_agreement(centre_id: int, data: dict, recorded_by_id: int | None, today: date | None = None) -> Agreement:
    """A new agreement starts its history with a first step (by default: drafting, today)."""
    today = today or date.today()
    check_step(data["status"], data.get("status_since") or PartialDate(today), today, bool(data.get("confirm_future")))
    check_key_dates(data)
    agreement = Agreement(
        centre_id=centre_id,
        kind=AgreementKind(data["kind"]),
        report_area=chosen_area(data),
        status=AgreementStatus(data["status"]),
        counterparts=counterparts(data.get("counterpart_ids")),
        **{key: _clean(data.get(key)) for key in KEY_FIELDS},
    )
    db.session.add(agreement)
    db.session.flush()
    add_step(
        agreement,
        data["status"],
        data.get("status_since") or PartialDate(today),
        data.get("step_note") or "",
        recorded_by_id,
        today=today,
        confirmed=bool(data.get("confirm_future")),
    )
    return agreement


def deletion_of_agreement(agreement: Agreement) -> Deletion:
    return deletion(
        agreement,
        _("the agreement “%(title)s”", title=agreement.title),
        consequences(
            counted(len(agreement.steps), "status_steps"),
            counted(len(agreement.documents), "document_versions"),
            counted(len(agreement.amendments), "amendments"),
        ),
        _("Link them to another agreement, or to none, first."),
    )


def delete_agreement(agreement: Agreement) -> None:
    """Delete an agreement with its steps, documents (and their files, once the change commits) and amendments."""
    documents = list(agreement.documents)
    delete_record(agreement, deletion_of_agreement(agreement), AgreementError)
    for document in documents:
        document.delete_file()


def update_agreement(agreement: Agreement, data: dict) -> Agreement:
    check_key_dates(data)
    agreement.kind = AgreementKind(data["kind"])
    agreement.report_area = chosen_area(data)
    agreement.counterparts = counterparts(data.get("counterpart_ids"))
    for key in KEY_FIELDS:
        setattr(agreement, key, _clean(data.get(key)))
    db.session.flush()
    return agreement


def chosen_area(data: dict) -> ReportArea | None:
    """The area staff chose; none chosen: the agreement follows its kind (``default_area``)."""
    try:
        return ReportArea(data["report_area"]) if data.get("report_area") else None
    except ValueError:
        raise AgreementError(_("Choose the area of the report."), "report_area") from None


def _clean(value):
    return value.strip() if isinstance(value, str) else value


# Steps that end the way to signature (or the agreement): dated in the future, they are confirmed first.
TERMINAL_STATUSES = tuple(status for status in AgreementStatus if not status.is_open)
SIGNED_STATUSES = (
    AgreementStatus.SIGNED,
    AgreementStatus.IN_FORCE,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATED,
)


def check_step(status: str, occurred: PartialDate | None, today: date, confirmed: bool) -> AgreementStatus:
    """The step's status; refused without a date, and a terminal step dated after ``today`` (a "Signed" of May 2027)
    until the user confirms it (``confirmed``): it is almost always a typing slip."""
    if occurred is None:
        raise AgreementError(_("Enter the date of this step."), "occurred")
    try:
        chosen = AgreementStatus(status)
    except ValueError:
        raise AgreementError(_("Choose a status."), "status") from None
    if chosen in TERMINAL_STATUSES and occurred.start > today and not confirmed:
        raise AgreementError(
            f"“{chosen.label}” dated {occurred}, after today: check the date, or tick the box below to record it "
            "as it is.",
            "occurred",
        )
    return chosen


def add_step(
    agreement: Agreement,
    status: str,
    occurred: PartialDate,
    note: str,
    recorded_by_id: int | None,
    *,
    today: date | None = None,
    confirmed: bool = True,
) -> AgreementStep:
    """Append a dated step; it becomes the agreement's status. Dated surely before the previous step: flagged."""
    chosen = check_step(status, occurred, today or occurred.end, confirmed)
    previous = agreement.steps[-1] if agreement.steps else None
    step = AgreementStep(
        agreement=agreement,
        centre_id=agreement.centre_id,
        status=chosen,
        occurred=occurred,
        note=(note or "").strip(),
        is_out_of_order=bool(previous and occurred.surely_before(previous.occurred)),
        recorded_by_id=recorded_by_id,
    )
    db.session.add(step)
    follow_steps(agreement, touched_signature=chosen in SIGNED_STATUSES)
    return step


def correct_step(
    step: AgreementStep, status: str, occurred: PartialDate, note: str, *, today: date, confirmed: bool
) -> AgreementStep:
    """Put right a step entered by mistake (its status, date or note); the agreement's status, its date and the
    signed date follow the corrected history. Audited as a change of the step."""
    chosen = check_step(status, occurred, today, confirmed)
    was_signature = step.status in SIGNED_STATUSES
    step.status, step.occurred, step.note = chosen, occurred, (note or "").strip()
    agreement = step.agreement
    before = [s for s in agreement.steps if s.id < step.id]
    step.is_out_of_order = bool(before and occurred.surely_before(before[-1].occurred))
    follow_steps(agreement, touched_signature=was_signature or chosen in SIGNED_STATUSES)
    return step


def deletion_of_step(step: AgreementStep) -> Deletion:
    blocked = (
        "" if len(step.agreement.steps) > 1 else _("An agreement keeps at least one step: correct this one instead.")
    )
    return Deletion(
        _("the step “%(status)s” of %(date)s", status=step.status.label, date=format_partial(step.occurred)),
        [],
        blocked,
    )


def remove_step(step: AgreementStep) -> None:
    """Withdraw a step entered by mistake: deleted (the audit log keeps it), the status recomputed from the rest."""
    plan = deletion_of_step(step)
    if plan.blocked:
        raise AgreementError(plan.blocked)
    agreement = step.agreement
    agreement.steps.remove(step)
    db.session.delete(step)
    follow_steps(agreement, touched_signature=step.status in SIGNED_STATUSES)


def follow_steps(agreement: Agreement, *, touched_signature: bool) -> None:
    """The agreement's status is that of its latest step entered, since that step's date. The signed date is that of
    the latest "Signed" step while the status is signed or after it; a step back to an open status (or abandoned)
    clears a signed date the steps gave, and so does removing the only "Signed" step. A signed date staff typed on
    an agreement whose steps never spoke of signature stays. Partnerships with the counterparts follow a signature
    (``crm.partners.services.follow_signature``)."""
    db.session.flush()
    steps = sorted(agreement.steps, key=lambda s: s.id)
    latest = steps[-1]
    agreement.status, agreement.status_since = latest.status, latest.occurred
    signatures = [s for s in steps if s.status == AgreementStatus.SIGNED]
    if latest.status in SIGNED_STATUSES and signatures:
        agreement.signed = signatures[-1].occurred
    elif (signatures or touched_signature) and latest.status not in SIGNED_STATUSES:
        agreement.signed = None
    if agreement.status in (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE):
        follow_signature(agreement.centre_id, [o.id for o in agreement.counterparts])
    db.session.flush()


def add_document(
    agreement: Agreement, upload: StoredUpload, title: str, note: str, uploaded_by_id: int | None
) -> AgreementDocument:
    """A new version of the document called ``title`` (version 1 if it is new)."""
    title = title.strip()
    latest = db.session.scalar(
        sa.select(sa.func.max(AgreementDocument.version_number)).where(
            AgreementDocument.agreement_id == agreement.id, AgreementDocument.title == title
        )
    )
    document = AgreementDocument(
        agreement=agreement,
        centre_id=agreement.centre_id,
        title=title,
        version_number=(latest or 0) + 1,
        note=(note or "").strip(),
        uploaded_by_id=uploaded_by_id,
    )
    document.fill_from(upload)
    db.session.add(document)
    db.session.flush()
    return document


def add_amendment(agreement: Agreement, data: dict) -> Amendment:
    amendment = Amendment(
        agreement=agreement,
        centre_id=agreement.centre_id,
        title=data["title"].strip(),
        agreed=data.get("agreed"),
        summary=(data.get("summary") or "").strip(),
    )
    db.session.add(amendment)
    db.session.flush()
    return amendment
