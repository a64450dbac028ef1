"""The audit log's coverage: what a model records is decided on the model, and no membership escapes it."""

import re

import sqlalchemy as sa

from crm.audit.display import Change, readable
from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.core.models import Audited
from crm.core.partial_dates import PartialDate
from crm.extensions import db
from tests.statements import statements_of_page


def test_every_many_to_many_of_an_audited_model_is_kept_in_its_history(app):
    many_to_many = {
        f"{mapper.class_.__name__}.{relationship.key}": relationship.key in mapper.class_.audit_collections
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, Audited)
        for relationship in mapper.relationships
        if relationship.secondary is not None
    }
    assert {"Agreement.counterparts", "User.centres"} <= many_to_many.keys()
    assert [name for name, audited in many_to_many.items() if not audited] == []


def history_rows(page: str) -> list[str]:
    """The history's changes as the sentences it shows: 'Status changed from Drafting to Signed'."""
    history = page.split('class="history"')[1]
    return re.findall(r"<li>([^<]*)</li>", history.split("</ol>")[0])


def test_history_reads_as_the_forms_do(client, login, make):
    centre = make.centre()
    agreement = make.agreement(centre, status="under_negotiation", since="2025")
    login(make.user(Role.STAFF, [centre]))
    step = {"status": "signed", "occurred": "May 2026", "note": "Signed in Rome."}
    assert client.post(f"/agreements/{agreement.id}/steps", data=step).status_code == 302
    rows = history_rows(client.get(f"/agreements/{agreement.id}").get_data(as_text=True))
    assert "Status changed from Under negotiation to Signed" in rows
    assert "Status since changed from 2025 to May 2026" in rows and "Signed set to May 2026" in rows
    assert not [row for row in rows if "_on" in row or "precision" in row or "version" in row]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f"Added the agreement {agreement.title}" in page and "Changed the agreement" in page


def test_a_date_changed_only_in_precision_still_reads_as_one_date(make):
    centre = make.centre()
    agreement = make.agreement(centre, since="2026-03")
    agreement.status_since = PartialDate(agreement.status_since.start, "day")
    db.session.commit()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "agreements").order_by(AuditEntry.id.desc())
    ).first()
    assert readable(entry) == [Change("status since", "March 2026", "1 March 2026")]


def test_entries_of_an_older_shape_show_what_they_hold(make):
    old = AuditEntry(
        action="update",
        entity="agreements",
        entity_id=1,
        changes={"status_since_on": ["2025-01-01", "2025-12-01"], "status": ["drafting", "withdrawn_long_ago"]},
    )
    assert readable(old) == [
        Change("status since on", "2025-01-01", "2025-12-01"),
        Change("status", "Drafting", "withdrawn_long_ago"),
    ]


def test_references_read_as_the_records_they_name(make):
    centre = make.centre(code="TSCC-NIES")
    giz = make.organisation(name="Deutsche Gesellschaft für Internationale Zusammenarbeit")
    partnership = make.partnership(centre, giz)
    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "partnerships", AuditEntry.entity_id == partnership.id)
    ).one()
    rows = {change.field: change.after for change in readable(created)}
    assert created.label == giz.name and rows["organisation"] == giz.name
    assert rows["centre"] == "TSCC-NIES" and rows["owner"] == "—"


def test_a_reference_to_a_deleted_record_says_so(make):
    from crm.agreements.services import delete_agreement

    agreement = make.agreement(make.centre())
    step = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "agreement_steps")).first()
    delete_agreement(agreement)
    db.session.commit()
    rows = {change.field: change.after for change in readable(step)}
    assert rows["agreement"] == f"#{agreement.id}, since deleted"


def test_the_audit_log_reads_references_once_per_kind_of_record(app, client, login, make):
    login(make.user(Role.ADMIN))
    centre = make.centre()

    def partnership_with_owner():
        make.partnership(centre, make.organisation(), owner_id=make.user(Role.STAFF, [centre]).id)

    partnership_with_owner()
    few = statements_of_page(app, client, "/admin/audit")
    for _ in range(15):
        partnership_with_owner()
    assert statements_of_page(app, client, "/admin/audit") == few


def test_history_reads_in_words_with_money_as_the_display_layer_shows_it(client, login, make):
    centre = make.centre(code="TSCC-NIES")
    staff = make.user(Role.STAFF, [centre])
    organisation = make.organisation(name="Tsinghua University")
    proposal = make.proposal(centre, funder=organisation)
    proposal.awarded_amount, proposal.awarded_currency = 300000, "CNY"
    db.session.commit()
    login(staff)
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "Tsinghua University added to the directory" in page and "Created organisations" not in page
    award = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "proposals", AuditEntry.action == "update")
        .order_by(AuditEntry.id)
    ).all()[-1]
    assert [c.sentence for c in readable(award) if c.field == "award"] == ["Award set to CNY\u00a0300,000.00"]
    proposal.awarded_amount = 250000
    db.session.commit()
    later = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "proposals", AuditEntry.action == "update")
        .order_by(AuditEntry.id)
    ).all()[-1]
    # The currency unchanged: the record's own, so that the amount still reads as money.
    assert readable(later) == [Change("award", "CNY\u00a0300,000.00", "CNY\u00a0250,000.00")]
