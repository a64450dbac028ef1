"""Records that can be put right: agreement steps corrected or withdrawn, future terminal steps confirmed, two
directory entries merged, a partnership following its agreement's signature."""

from datetime import date

import pytest
import sqlalchemy as sa

from crm.agreements import services as agreements
from crm.agreements.models import AgreementStatus
from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.core.partial_dates import PartialDate
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import Organisation, Partnership, Stage
from crm.search import queries as search

TODAY = date(2026, 12, 2)


def month(year, number):
    return PartialDate(date(year, number, 1), "month")


def test_a_future_signed_step_is_refused_until_confirmed_and_a_corrective_step_clears_its_signed_date(make, nies):
    partner = make.organisation(name="Tsinghua University")
    partnership = make.partnership(nies, partner, stage="in_discussion")
    agreement = make.agreement(nies, counterparts=[partner], status="drafting")
    with pytest.raises(agreements.AgreementError, match="after today") as refused:
        agreements.add_step(agreement, "signed", month(2027, 5), "", None, today=TODAY, confirmed=False)
    assert refused.value.field == "occurred" and agreement.status == AgreementStatus.DRAFTING
    # Confirmed (the user says the date is right): recorded, signed, and the partnership follows the signature.
    mistaken = agreements.add_step(agreement, "signed", month(2027, 5), "", None, today=TODAY, confirmed=True)
    assert agreement.signed == month(2027, 5) and partnership.stage == Stage.ACTIVE
    # A corrective step back under negotiation: no longer signed.
    agreements.add_step(agreement, "under_negotiation", month(2026, 11), "", None, today=TODAY)
    assert agreement.status == AgreementStatus.UNDER_NEGOTIATION and agreement.signed is None
    # The mistaken step withdrawn: the status comes from the steps left, and the audit log keeps the step.
    agreements.remove_step(mistaken)
    assert [s.status for s in agreement.steps] == [AgreementStatus.DRAFTING, AgreementStatus.UNDER_NEGOTIATION]
    assert db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity == "agreement_steps", AuditEntry.entity_id == mistaken.id,
                                    AuditEntry.action == "delete")
    ) is not None  # fmt: skip


def test_a_step_corrected_moves_the_status_and_the_signed_date_and_the_last_step_stays(make, nies):
    agreement = make.agreement(nies, status="drafting")
    signed = agreements.add_step(agreement, "signed", month(2026, 3), "", None, today=TODAY)
    assert agreement.signed == month(2026, 3)
    agreements.correct_step(signed, "signed", month(2026, 4), "signed in Nanjing", today=TODAY, confirmed=False)
    assert agreement.signed == month(2026, 4) and agreement.status_since == month(2026, 4)
    agreements.correct_step(signed, "legal_review", month(2026, 4), "", today=TODAY, confirmed=False)
    assert agreement.status == AgreementStatus.LEGAL_REVIEW and agreement.signed is None
    first = agreement.steps[0]
    agreements.remove_step(signed)
    assert agreements.deletion_of_step(first).blocked
    with pytest.raises(agreements.AgreementError):
        agreements.remove_step(first)


def test_staff_correct_and_withdraw_a_step_through_the_pages_with_a_confirmation(client, login, make, nies, staff):
    login(staff)
    agreement = make.agreement(nies, status="drafting")
    url = f"/agreements/{agreement.id}/steps"
    refused = client.post(url, data={"status": "signed", "occurred": "2099-05", "note": ""})
    assert refused.status_code == 422 and "after today" in refused.get_data(as_text=True)
    assert client.post(url, data={"status": "signed", "occurred": "2099-05", "confirm_future": "y"}).status_code == 302
    step = agreement.steps[-1]
    page = client.get(f"/agreements/steps/{step.id}/edit")
    assert page.status_code == 200 and "2099-05" in page.get_data(as_text=True)
    corrected = client.post(
        f"/agreements/steps/{step.id}/edit",
        data={"status": "signed", "occurred": "2026-05", "note": "", "version": step.version},
    )
    assert corrected.status_code == 302
    db.session.refresh(agreement)
    assert agreement.signed == month(2026, 5)
    assert "cannot be undone" in client.get(f"/agreements/steps/{step.id}/delete").get_data(as_text=True)
    assert client.post(f"/agreements/steps/{step.id}/delete").status_code == 302
    db.session.refresh(agreement)
    assert agreement.status == AgreementStatus.DRAFTING and agreement.signed is None
    history = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Removed the status step Signed (May 2026)" in history


def test_merging_two_entries_moves_every_link_keeps_an_alias_and_reads_the_history_of_both(
    client, login, make, nies, staff
):
    survivor = make.organisation(name="Tsinghua University", acronym="THU")
    duplicate = make.organisation(name="Tsinghua Univ.", other_names=["清华大学"])
    mine = make.partnership(nies, survivor, stage="active")
    theirs = make.partnership(nies, duplicate, stage="contacted")
    partners.save_contact(theirs, None, {"name": "Li Wei"})
    agreement = make.agreement(nies, counterparts=[duplicate])
    proposal = make.proposal(nies, funder=duplicate)
    entry = make.ledger_entry(nies, source_id=duplicate.id)
    db.session.commit()
    login(staff)
    preview = client.get(f"/organisations/{duplicate.id}/merge?into={survivor.id}").get_data(as_text=True)
    assert "1 partnership" in preview and "1 proposal it funds" in preview and "1 resource" in preview
    assert "1 agreement" in preview
    done = client.post(f"/organisations/{duplicate.id}/merge", data={"survivor_id": survivor.id, "confirm": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert [o.id for o in agreement.counterparts] == [survivor.id]
    assert proposal.funder_id == survivor.id and entry.source_id == survivor.id
    # One partnership for the centre, with the other's contact; the duplicate an alias that old links follow.
    assert db.session.get(Partnership, theirs.id) is None
    assert [c.name for c in mine.contacts] == ["Li Wei"]
    assert db.session.get(Organisation, duplicate.id).merged_into_id == survivor.id
    assert client.get(f"/organisations/{duplicate.id}").headers["Location"].endswith(f"/organisations/{survivor.id}")
    assert "Tsinghua Univ." in survivor.other_names and "清华大学" in survivor.other_names
    assert [h.title for g in search.search("清华", staff) if g.register == "organisations" for h in g.hits] == [
        "Tsinghua University (THU)"
    ]
    page = client.get(f"/organisations/{survivor.id}").get_data(as_text=True)
    assert "Tsinghua Univ." in page  # the duplicate's own history, on the survivor's page
    assert partners.likely_duplicates("Tsinghua Univ.", [], "") == [survivor]


def test_a_merge_touching_another_centres_records_is_for_an_admin(client, login, make, nies, staff):
    other = make.centre(code="TSCC-CA")
    survivor, duplicate = make.organisation(name="UNDP"), make.organisation(name="UNDP China")
    make.partnership(other, duplicate)
    login(staff)
    page = client.get(f"/organisations/{duplicate.id}/merge?into={survivor.id}")
    assert "an administrator can make it" in page.get_data(as_text=True)
    refused = client.post(f"/organisations/{duplicate.id}/merge", data={"survivor_id": survivor.id, "confirm": "1"})
    assert refused.status_code in (403, 422)
    assert db.session.get(Organisation, duplicate.id).merged_into_id is None
    login(make.user(Role.ADMIN))
    done = client.post(f"/organisations/{duplicate.id}/merge", data={"survivor_id": survivor.id, "confirm": "1"})
    assert done.status_code == 302
