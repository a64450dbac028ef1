"""Agreements: the MoA's approval history, steps entered late and flagged, documents, amendments, work lists."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from crm.agreements.models import Agreement, AgreementDocument, AgreementStatus, AgreementStep
from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.core.partial_dates import PartialDate, parse_partial_date
from crm.extensions import db
from tests.factories import docx_bytes


def agreement_titled(fragment: str) -> Agreement:
    return db.session.scalar(sa.select(Agreement).where(Agreement.title.contains(fragment)))


def test_partial_dates_parse_and_show_what_is_known():
    assert str(parse_partial_date("March 2026")) == "March 2026"
    assert parse_partial_date("2026-03") == PartialDate(date(2026, 3, 1), "month")
    assert str(parse_partial_date("2026-03-17")) == "17 March 2026"
    assert str(parse_partial_date("2025")) == "2025"
    for bad in ("2026-13", "31 February 2026", "soon", ""):
        with pytest.raises(ValueError):
            parse_partial_date(bad)
    assert parse_partial_date("2025").surely_before(parse_partial_date("2026-01")) is True
    assert parse_partial_date("2025").surely_before(parse_partial_date("2025-05")) is False


def test_nies_staff_reads_the_moa_approval_history_as_the_report_tells_it(client, login, make, seeded):
    login(make.user(Role.STAFF, [seeded["TSCC-NIES"]]))
    moa = agreement_titled("Memorandum of Agreement")
    assert [(s.status.value, str(s.occurred)) for s in moa.steps] == [
        ("drafting", "May 2025"),
        ("under_negotiation", "2025"),
        ("legal_review", "December 2025"),
        ("authority_approval", "March 2026"),
        ("under_negotiation", "April 2026"),
        ("authority_approval", "April 2026"),
    ]
    assert not any(s.is_out_of_order for s in moa.steps)
    body = client.get(f"/agreements/{moa.id}").get_data(as_text=True)
    for text in (
        "May 2025",
        "December 2025",
        "March 2026",
        "Ministry of Ecology and Environment",
        "inal internal clearance",
    ):  # noqa: E501
        assert text in body
    assert "1 May 2025" not in body and "1 March 2026" not in body
    assert "CBD Secretariat" in client.get("/agreements").get_data(as_text=True)


def test_ca_agreements_as_the_report_tells_them(seeded):
    host = agreement_titled("Host Agreement")
    assert host.status == AgreementStatus.SIGNED and str(host.signed) == "17 February 2026"
    assert "Rome" in host.signed_place and host.centre.code == "TSCC-CA"
    recca = agreement_titled("RECCA")
    assert recca.status == AgreementStatus.UNDER_NEGOTIATION and recca.counterparts[0].acronym == "RECCA"


def test_adding_a_step_changes_the_status_and_shows_in_the_audit_history(client, login, make, seeded):
    login(make.user(Role.STAFF, [seeded["TSCC-NIES"]]))
    moa = agreement_titled("Memorandum of Agreement")
    response = client.post(
        f"/agreements/{moa.id}/steps", data={"status": "signed", "occurred": "May 2026", "note": "Signed."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    moa = db.session.get(Agreement, moa.id)
    assert (
        moa.status == AgreementStatus.SIGNED and str(moa.status_since) == "May 2026" and str(moa.signed) == "May 2026"
    )
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "agreement_steps")).all()
    assert any(e.changes.get("status", [None, None])[1] == "signed" for e in entries)
    body = client.get(f"/agreements/{moa.id}").get_data(as_text=True)
    assert "Signed (May 2026)" in body


def test_a_step_dated_before_the_previous_one_is_kept_and_flagged(client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre, since="2026-03-10")
    login(make.user(Role.STAFF, [centre]))
    response = client.post(f"/agreements/{agreement.id}/steps", data={"status": "legal_review", "occurred": "2026-02"})
    assert response.status_code == 302
    assert "flagged" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    step = db.session.scalars(sa.select(AgreementStep).where(AgreementStep.agreement_id == agreement.id)).all()[-1]
    assert step.is_out_of_order
    # A month that contains the previous day is not surely before it.
    client.post(f"/agreements/{agreement.id}/steps", data={"status": "legal_review", "occurred": "2026-03"})
    db.session.expire_all()
    assert not db.session.get(Agreement, agreement.id).steps[-1].is_out_of_order


def test_a_bad_step_date_is_refused_beside_the_field(client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    response = client.post(f"/agreements/{agreement.id}/steps", data={"status": "signed", "occurred": "2026-02-30"})
    assert response.status_code == 422 and "has no day 30" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Agreement, agreement.id).steps) == 1


def upload(client, agreement, data: bytes, name: str, title: str = "Draft MoA"):
    return client.post(
        f"/agreements/{agreement.id}/documents",
        data={"title": title, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_documents_get_versions_and_are_downloadable_only_by_readers(app, client, login, make):
    centre, other = make.centre(), make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    assert upload(client, agreement, b"%PDF-1.4 first", "moa.pdf").status_code == 302
    assert upload(client, agreement, docx_bytes(), "moa v2.docx").status_code == 302
    documents = db.session.scalars(sa.select(AgreementDocument).order_by(AgreementDocument.version_number)).all()
    assert [d.version_number for d in documents] == [1, 2] and documents[1].kind == "docx"
    response = client.get(f"/agreements/documents/{documents[0].id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 first"
    response.close()
    login(make.user(Role.STAFF, [other]))
    assert client.get(f"/agreements/documents/{documents[0].id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [(b"", "empty.pdf", "empty"), (b"MZ\x90 not a pdf", "cv.pdf", "neither")],
)
def test_wrong_or_empty_uploads_are_refused_and_change_nothing(client, login, make, data, name, message):
    centre = make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    response = upload(client, agreement, data, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AgreementDocument.id))) == 0


def test_an_upload_too_large_gets_the_413_page_with_the_limit(app, client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Encoded in memory: werkzeug's test client would spool a body this large to a file it never closes.
    body, length, boundary = stream_encode_multipart(
        {"title": "Huge", "file": FileStorage(io.BytesIO(b"%PDF-" + b"0" * limit), "huge.pdf")}, use_tempfile=False
    )
    response = client.post(
        f"/agreements/{agreement.id}/documents",
        input_stream=body,
        content_length=length,
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )
    assert response.status_code == 413
    assert f"{limit // (1024 * 1024)} MB" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AgreementDocument.id))) == 0


def test_amendments_and_key_dates(client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    assert (
        client.post(
            f"/agreements/{agreement.id}/amendments", data={"title": "Annex on Russia", "agreed": "2026-06"}
        ).status_code
        == 302
    )  # noqa: E501
    assert "June 2026" in client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    data = {
        "kind": "mou",
        "title": agreement.title,
        "effective": "2026-05",
        "expiry": "2026-01",
        "version": agreement.version,
    }
    response = client.post(f"/agreements/{agreement.id}/edit", data=data)
    assert response.status_code == 422 and "expire before" in response.get_data(as_text=True)


def test_work_lists(client, login, make):
    centre = make.centre()
    today = date.today()
    stale = make.agreement(centre, title="Stalled draft", since=(today - timedelta(days=200)).isoformat())
    due = make.agreement(centre, title="Due for review", status="in_force", since="2025-01")
    due.next_review = PartialDate(today + timedelta(days=30))
    make.agreement(centre, title="Fresh draft", since=today.isoformat())
    db.session.commit()
    login(make.user(Role.STAFF, [centre]))
    body = client.get("/agreements/work").get_data(as_text=True)
    awaiting, stalled, expiring, _ = body.split("<h2>")[1:5]
    assert "Stalled draft" in awaiting and "Fresh draft" in awaiting and "Due for review" not in awaiting
    assert "Stalled draft" in stalled and "Fresh draft" not in stalled
    assert "Due for review" in expiring and stale.title not in expiring


def test_creating_an_agreement_from_the_form(client, login, make):
    centre = make.centre()
    recca = make.organisation(name="Regional Environmental Centre for Central Asia", acronym="RECCA")
    login(make.user(Role.STAFF, [centre]))
    response = client.post(
        "/agreements/new",
        data={
            "kind": "cooperation_agreement",
            "title": "Draft with RECCA",
            "counterpart_ids": [str(recca.id)],
            "status": "under_negotiation",
            "status_since": "2026",
        },  # noqa: E501
    )
    assert response.status_code == 302
    agreement = agreement_titled("Draft with RECCA")
    assert agreement.centre_id == centre.id and str(agreement.status_since) == "2026"
    assert agreement.counterparts == [recca]


def test_changing_counterparts_is_kept_in_the_history(client, login, make):
    centre = make.centre()
    giz, recca, cses = (make.organisation(name=name) for name in ("GIZ", "RECCA", "CSES"))
    agreement = make.agreement(centre, counterparts=[giz, recca])
    created = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity == "agreements", AuditEntry.entity_id == agreement.id)
    )
    assert created.changes["counterparts"] == [None, ["GIZ", "RECCA"]]
    login(make.user(Role.STAFF, [centre]))
    data = {"kind": "mou", "title": agreement.title, "version": agreement.version}
    response = client.post(f"/agreements/{agreement.id}/edit", data=data | {"counterpart_ids": [cses.id, giz.id]})
    assert response.status_code == 302
    updates = sa.select(AuditEntry.changes).where(AuditEntry.entity == "agreements", AuditEntry.action == "update")
    assert db.session.scalars(updates.order_by(AuditEntry.id.desc())).first() == {
        "counterparts": [["GIZ", "RECCA"], ["CSES", "GIZ"]]
    }
    history = client.get(f"/agreements/{agreement.id}").get_data(as_text=True).split('class="history"')[1]
    assert "<li>Counterparts changed from GIZ, RECCA to CSES, GIZ</li>" in history
    # Saving the same counterparts again records nothing.
    db.session.expire_all()
    count = sa.select(sa.func.count()).select_from(updates.subquery())
    before = db.session.scalar(count)
    version = db.session.get(Agreement, agreement.id).version
    data |= {"version": version, "counterpart_ids": [giz.id, cses.id]}
    assert client.post(f"/agreements/{agreement.id}/edit", data=data).status_code == 302
    assert db.session.scalar(count) == before
