"""Deleting what was entered by mistake: a confirmation that says what goes, the history keeps it, and a
deletion the records forbid is refused with its reason and changes nothing."""

import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from crm.agreements.models import Agreement, AgreementStep
from crm.agreements.services import AgreementError, add_document, delete_agreement, deletion_of_agreement
from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.core.deletion import deletion
from crm.core.uploads import store
from crm.experts.models import Expert, ExpertPool
from crm.extensions import db
from crm.partners.models import Contact, Organisation, Partnership
from crm.partners.services import log_interaction, save_contact


def deleted(entity: str) -> list[str]:
    return db.session.scalars(
        sa.select(AuditEntry.label).where(AuditEntry.entity == entity, AuditEntry.action == "delete")
    ).all()


def test_a_partnership_goes_with_its_contacts_and_interactions_and_the_organisation_stays(client, login, make):
    centre = make.centre()
    giz = make.organisation(name="Deutsche Gesellschaft für Internationale Zusammenarbeit", acronym="GIZ")
    partnership = make.partnership(centre, giz)
    save_contact(partnership, None, {"name": "Anna Example"})
    save_contact(partnership, None, {"name": "Bo Example"})
    log_interaction(partnership, {"occurred_on": date(2025, 9, 15), "kind": "meeting", "summary": "Kick-off"}, None)
    db.session.commit()
    login(make.user(Role.STAFF, [centre]))

    page = client.get(f"/partnerships/{partnership.id}/delete").get_data(as_text=True)
    assert "<li>2 contacts</li>" in page and "<li>1 interaction</li>" in page
    response = client.post(f"/partnerships/{partnership.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/partnerships"

    assert db.session.get(Partnership, partnership.id) is None and db.session.get(Organisation, giz.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    assert deleted("partnerships") == [giz.name] and sorted(deleted("contacts")) == ["Anna Example", "Bo Example"]
    assert deleted("interactions")


def test_staff_of_another_centre_cannot_delete(client, login, make):
    partnership = make.partnership(make.centre())
    login(make.user(Role.STAFF, [make.centre()]))
    assert client.post(f"/partnerships/{partnership.id}/delete").status_code == 404
    assert db.session.get(Partnership, partnership.id) is not None


def test_an_agreement_goes_with_its_steps_documents_and_files(app, client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre, title="Draft MoU with RECCA")
    upload = store(FileStorage(io.BytesIO(b"%PDF-1.4 draft"), filename="draft.pdf"))
    add_document(agreement, upload, "Draft", "", None)
    db.session.commit()
    file = Path(app.config["UPLOAD_FOLDER"]) / upload.storage_key
    login(make.user(Role.STAFF, [centre]))

    page = client.get(f"/agreements/{agreement.id}/delete").get_data(as_text=True)
    assert "<li>1 status step</li>" in page and "<li>1 document version</li>" in page
    assert client.post(f"/agreements/{agreement.id}/delete").status_code == 302
    assert db.session.get(Agreement, agreement.id) is None and not file.exists()
    assert db.session.scalar(sa.select(sa.func.count()).where(AgreementStep.agreement_id == agreement.id)) == 0
    assert deleted("agreements") == ["Draft MoU with RECCA"] and deleted("agreement_documents") == ["Draft v1"]


def test_an_agreement_named_by_the_ledger_is_kept_and_the_page_says_why(client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre)
    make.ledger_entry(centre, agreement=agreement)
    make.ledger_entry(centre, agreement=agreement)
    login(make.user(Role.STAFF, [centre]))

    page = client.get(f"/agreements/{agreement.id}/delete").get_data(as_text=True)
    assert "2 ledger entries name it" in page and 'action="/agreements/' not in page
    response = client.post(f"/agreements/{agreement.id}/delete")
    assert response.status_code == 409 and "2 ledger entries name it" in response.get_data(as_text=True)
    assert db.session.get(Agreement, agreement.id) is not None and deleted("agreements") == []


def test_a_pool_goes_and_its_experts_stay_with_the_change_in_their_history(client, login, make):
    centre = make.centre()
    cast, consultants = (
        make.expert_pool(centre, name="CAST expert database"),
        make.expert_pool(centre, name="Consultants"),
    )
    expert = make.expert(centre, pools=[cast.id, consultants.id])
    login(make.user(Role.STAFF, [centre]))

    page = client.get(f"/experts/pools/{cast.id}/delete").get_data(as_text=True)
    assert "1 membership (the experts stay on the roster)" in page
    assert client.post(f"/experts/pools/{cast.id}/delete").status_code == 302
    assert db.session.get(ExpertPool, cast.id) is None
    assert [pool.name for pool in db.session.get(Expert, expert.id).pools] == ["Consultants"]
    change = db.session.scalars(
        sa.select(AuditEntry.changes).where(AuditEntry.entity == "experts", AuditEntry.action == "update")
    ).one()
    assert change["pools"] == [["CAST expert database", "Consultants"], ["Consultants"]]


def test_what_names_a_record_is_found_from_the_schema_link_tables_included(make):
    centre = make.centre()
    recca = make.organisation(name="Regional Environmental Centre for Central Asia")
    agreement = make.agreement(centre, counterparts=[recca])
    make.ledger_entry(centre, agreement=agreement)
    assert deletion_of_agreement(agreement).blocked.startswith("It cannot be deleted: 1 ledger entry names it.")
    with pytest.raises(AgreementError, match="1 ledger entry names it"):
        delete_agreement(agreement)
    make.partnership(centre, recca)
    assert deletion(recca, "the organisation", []).blocked == (
        "It cannot be deleted: 1 link in agreement counterparts and 1 partnership name it."
    )
    assert deletion(make.organisation(), "an unused organisation", []).blocked == ""
