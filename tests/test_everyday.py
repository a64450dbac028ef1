"""Words that match the records and forms that guide (issue 20): each point of the issue's lists, as a user meets it."""

from datetime import date

import sqlalchemy as sa

from crm.agreements.models import AgreementKind
from crm.extensions import db
from crm.proposals.models import Proposal


def test_a_pledge_reads_as_pledged_and_an_in_kind_entry_records_its_delivery_not_a_tranche(
    client, login, make, nies, staff
):
    login(staff)
    pledge = make.ledger_entry(nies, stage="pledged")
    page = client.get(f"/resources/{pledge.id}").get_data(as_text=True)
    assert "Received against the pledge" in page and "<dt>Pledged</dt>" in page and "Not yet received" in page
    assert "<dt>Committed</dt>" not in page and "<dt>Outstanding</dt>" not in page
    office = make.ledger_entry(
        nies,
        kind="in_kind",
        amount="50000",
        currency="CNY",
        description="Office space",
        quantity="1",
        unit="office",
        valuation_method="market rent",
    )
    page = client.get(f"/resources/{office.id}").get_data(as_text=True)
    assert "Record the delivery" in page and "Record money received" not in page and "Tranche" not in page
    edit = client.get(f"/resources/{office.id}/edit?stage=received").get_data(as_text=True)
    assert 'selected value="received"' in edit


def test_the_needs_table_follows_the_filters_it_can_and_says_when_it_cannot(client, login, make, nies, staff):
    from crm.funding.models import FundingNeed, Purpose

    login(staff)
    db.session.add_all(
        [
            FundingNeed(centre_id=nies.id, title="Steering Committee venue", purpose=Purpose.EVENT),
            FundingNeed(centre_id=nies.id, title="Interns' stipends", purpose=Purpose.CORE_OPERATIONS),
        ]
    )
    db.session.commit()
    events = client.get("/resources?purpose=event").get_data(as_text=True)
    assert "Steering Committee venue" in events and "Interns' stipends" not in events
    staged = client.get("/resources?stage=pledged").get_data(as_text=True)
    assert "Steering Committee venue" not in staged and "the filters chosen do not apply to it" in staged


def test_a_proposals_first_status_is_dated_today_when_no_date_is_given_as_an_agreements_is(client, login, make, staff):
    login(staff)
    funder = make.organisation(name="CAST")
    data = {
        "title": "Youth biodiversity camp",
        "funder_id": funder.id,
        "status": "idea",
        "centre_id": staff.centres[0].id,
    }
    assert client.post("/proposals/new", data=data).status_code == 302
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.title == "Youth biodiversity camp"))
    assert proposal.status_changes[0].changed_on == date.today()


def test_submitting_a_section_asks_for_a_confirmation(client, login, make, nies, staff):
    login(staff)
    section = make.report_section(nies)
    refused = client.post(f"/reports/sections/{section.id}/submit", data={"version": section.version})
    assert refused.status_code == 422 and "Tick the box to confirm" in refused.get_data(as_text=True)
    assert "freeze it as reported" in client.get(f"/reports/sections/{section.id}").get_data(as_text=True)


def test_an_edit_conflict_links_back_to_the_record(client, login, make, nies, staff):
    login(staff)
    partner = make.organisation(name="GIZ")
    stale = partner.version
    partner.notes = "changed meanwhile"
    db.session.commit()
    data = {"name": "GIZ", "type_id": partner.type_id, "version": stale}
    conflict = client.post(f"/organisations/{partner.id}/edit", data=data)
    assert conflict.status_code == 409
    assert f'href="/organisations/{partner.id}/edit">Open the record again' in conflict.get_data(as_text=True)


def test_an_agreement_started_from_a_partnership_is_a_cooperation_agreement_with_that_partner(
    client, login, make, nies, staff
):
    login(staff)
    partner = make.organisation(name="Regional Environmental Centre for Central Asia", acronym="RECCA")
    page = client.get(f"/agreements/new?organisation_id={partner.id}&centre_id={nies.id}").get_data(as_text=True)
    assert f'selected value="{AgreementKind.COOPERATION_AGREEMENT.value}"' in page
    # Ticked, and first in the list, so that it shows without scrolling the directory.
    assert f'value="{partner.id}" id="counterpart_ids-0" checked' in page and "Cooperation agreement with RECCA" in page


def test_forms_mark_required_fields_pick_several_without_a_modifier_key_and_sum_up_errors(client, login, make, staff):
    login(staff)
    page = client.get("/partnerships/new").get_data(as_text=True)
    # The organisation first, required and marked; the targets a list of checkboxes.
    assert page.index('name="organisation_id"') < page.index('name="stage"')
    assert 'Organisation <span class="required"' in page and "are required" in page
    assert '<input type="checkbox" name="targets" value="3"' in page
    assert "<select" not in page.split('name="targets"')[0].rsplit("<div class", 1)[-1]
    refused = client.post("/partnerships/new", data={"stage": "contacted"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="form-errors"' in body and "Choose an organisation." in body
    assert body.index("Nothing was saved") < body.index('name="organisation_id"')


def test_a_text_area_is_as_tall_as_what_it_holds(client, login, make, nies, staff):
    login(staff)
    partnership = make.partnership(nies, notes="\n".join(f"line {n}" for n in range(12)))
    page = client.get(f"/partnerships/{partnership.id}/edit").get_data(as_text=True)
    assert 'rows="13"' in page
