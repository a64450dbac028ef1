"""Agreements, their dated status history, documents and amendments. Services flush; the request commits."""

from datetime import date

import sqlalchemy as sa

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
from crm.core.uploads import StoredUpload
from crm.extensions import db
from crm.partners.models import Organisation


class AgreementError(RuleError):
    """Refused input in this domain (see crm.core.errors.RuleError)."""


def counterparts(ids) -> list[Organisation]:
    wanted = {int(i) for i in ids or []}
    found = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(wanted))).all() if wanted else []
    if len(found) != len(wanted):
        raise AgreementError("Choose counterparts from the directory.", "counterpart_ids")
    return list(found)


def check_key_dates(data: dict) -> None:
    effective, expiry = data.get("effective"), data.get("expiry")
    if effective and expiry and expiry.surely_before(effective):
        raise AgreementError("The agreement cannot expire before it takes effect.", "expiry")


KEY_FIELDS = ("title", "responsible", "signed", "signed_place", "effective", "expiry", "next_review", "notes")


def create_agreement(centre_id: int, data: dict, recorded_by_id: int | None) -> Agreement:
    """A new agreement starts its history with a first step (by default: drafting, today)."""
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
        data.get("status_since") or PartialDate(date.today()),
        data.get("step_note") or "",
        recorded_by_id,
    )
    return agreement


def deletion_of_agreement(agreement: Agreement) -> Deletion:
    return deletion(
        agreement,
        f"the agreement “{agreement.title}”",
        consequences(
            counted(len(agreement.steps), "status step"),
            counted(len(agreement.documents), "document version"),
            counted(len(agreement.amendments), "amendment"),
        ),
        "Link them to another agreement, or to none, first.",
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
        raise AgreementError("Choose the area of the report.", "report_area") from None


def _clean(value):
    return value.strip() if isinstance(value, str) else value


def add_step(
    agreement: Agreement, status: str, occurred: PartialDate, note: str, recorded_by_id: int | None
) -> AgreementStep:
    """Append a dated step; it becomes the agreement's status. Dated surely before the previous step: flagged."""
    if occurred is None:
        raise AgreementError("Enter the date of this step.", "occurred")
    previous = agreement.steps[-1] if agreement.steps else None
    step = AgreementStep(
        agreement=agreement,
        centre_id=agreement.centre_id,
        status=AgreementStatus(status),
        occurred=occurred,
        note=(note or "").strip(),
        is_out_of_order=bool(previous and occurred.surely_before(previous.occurred)),
        recorded_by_id=recorded_by_id,
    )
    db.session.add(step)
    agreement.status = step.status
    agreement.status_since = occurred
    if step.status == AgreementStatus.SIGNED and agreement.signed is None:
        agreement.signed = occurred
    db.session.flush()
    return step


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
