"""Proposals: the lifecycle, its rules, the board and deadlines, and the figures the reports cite."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.extensions import db
from crm.proposals import queries, services
from crm.proposals.models import CallDeadline, Proposal, ProposalStatus
from tests.statements import statements_of_page


@pytest.fixture
def nies(make):
    centre = make.centre(code="TSCC-X1", reporting_currency="CNY")
    return centre, make.user(Role.STAFF, [centre])


def test_status_moves_along_with_a_dated_history(make, nies, login):
    centre, staff = nies
    proposal = make.proposal(centre, title="Lomas oases")
    client = login(staff)
    response = client.post(f"/proposals/{proposal.id}/status", data={"status": "submitted", "changed_on": "2025-06-02"})
    assert response.status_code == 302
    response = client.post(
        f"/proposals/{proposal.id}/status",
        data={"status": "approved", "changed_on": "2025-10-15", "awarded_amount": "80000", "awarded_currency": "CNY"},
    )
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.APPROVED
    assert (proposal.submitted_on, proposal.decision_on) == (date(2025, 6, 2), date(2025, 10, 15))
    assert [c.status for c in proposal.status_changes] == ["in_preparation", "submitted", "approved"]
    assert proposal.expected_value.amount == Decimal("80000")
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Record the commitment in the ledger" in page and "15 October 2025" in page


def test_decision_before_submission_is_refused_beside_the_field(make, nies, login):
    centre, staff = nies
    proposal = make.proposal(centre, status="submitted", submitted_on=date(2025, 6, 2))
    response = login(staff).post(
        f"/proposals/{proposal.id}/status", data={"status": "rejected", "changed_on": "2025-05-01"}
    )
    assert response.status_code == 422
    assert "cannot come before the submission" in response.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status == ProposalStatus.SUBMITTED and len(proposal.status_changes) == 1


def test_an_awarded_amount_on_a_rejected_proposal_is_refused(make, nies, login):
    centre, staff = nies
    proposal = make.proposal(centre, status="submitted")
    response = login(staff).post(
        f"/proposals/{proposal.id}/status",
        data={"status": "rejected", "changed_on": "2025-09-01", "awarded_amount": "100", "awarded_currency": "USD"},
    )
    assert response.status_code == 422
    assert "Only an approved proposal has an awarded amount" in response.get_data(as_text=True)
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.SUBMITTED


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_zero_or_negative_request_is_refused(make, nies, login, amount):
    centre, staff = nies
    funder = make.organisation()
    data = {"centre_id": centre.id, "title": "T", "funder_id": funder.id, "status": "idea"}
    response = login(staff).post(
        "/proposals/new", data=data | {"requested_amount": amount, "requested_currency": "CNY"}
    )
    assert response.status_code == 422
    assert ("must be more than zero" if amount == "0" else "cannot be negative") in response.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(Proposal.centre_id == centre.id)) == 0
    )


def test_rmb_is_accepted_as_cny_and_probability_defaults_per_status(make, nies):
    centre, _ = nies
    proposal = make.proposal(centre, requested_amount="1000", requested_currency="RMB", status="submitted")
    assert proposal.requested_currency == "CNY"
    assert proposal.effective_probability == 40
    assert proposal.expected_value.amount == Decimal("400")
    proposal.probability = 75
    assert proposal.expected_value.amount == Decimal("750")


def test_a_final_status_cannot_move(make, nies):
    centre, _ = nies
    proposal = make.proposal(centre, status="withdrawn")
    with pytest.raises(services.ProposalError, match="final"):
        services.change_status(proposal, {"status": "submitted", "changed_on": date(2025, 1, 1)})


def test_changes_are_audited(make, nies, login):
    centre, staff = nies
    proposal = make.proposal(centre)
    login(staff).post(f"/proposals/{proposal.id}/status", data={"status": "submitted", "changed_on": "2025-06-02"})
    actions = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_email).where(
            AuditEntry.entity == "proposals", AuditEntry.entity_id == proposal.id
        )
    ).all()
    assert ("create", "system") in actions and ("update", staff.email) in actions


def test_deadlines_ahead_fall_in_30_60_90_day_windows(make, nies):
    centre, _ = nies
    today = date(2026, 3, 1)
    make.proposal(centre, title="Due soon", deadline_on=today + timedelta(days=10))
    make.proposal(centre, title="Due later", deadline_on=today + timedelta(days=75))
    make.proposal(centre, title="Too far", deadline_on=today + timedelta(days=120))
    funder = make.organisation()
    mechanism = services.save_mechanism(None, {"funder_id": funder.id, "name": "Annual call"})
    mechanism.deadlines.append(CallDeadline(label="Full proposal", due_on=date(2019, 4, 15), is_yearly=True))
    mechanism.deadlines.append(CallDeadline(label="Closed call", due_on=date(2025, 4, 15)))
    db.session.flush()
    found = [(d.label, d.window) for d in queries.deadlines_ahead({centre.id}, today)]
    assert found == [("Due soon", 30), ("Full proposal", 60), ("Due later", 90)]


def test_board_counts_and_totals_per_currency(make, nies):
    centre, _ = nies
    make.proposal(centre, status="submitted", requested_amount="1000", requested_currency="CNY")
    make.proposal(centre, status="submitted", requested_amount="500", requested_currency="USD")
    make.proposal(centre, status="submitted")
    column = {c.status: c for c in queries.board({centre.id}, "CNY", date(2026, 1, 5))}[ProposalStatus.SUBMITTED]
    assert column.count == 3 and column.unpriced == 1
    assert column.requested == {"CNY": Decimal("1000"), "USD": Decimal("500")}
    assert column.expected == {"CNY": Decimal("400"), "USD": Decimal("200")}
    # No USD rate in the test database: the USD part is "not converted", never 0 or 1.
    assert column.converted.total.amount == Decimal("400")
    assert column.converted.missing_currencies() == ["USD"] and "not converted" in column.converted.not_converted()[0]


@pytest.mark.parametrize("path", ["/proposals", "/proposals/board"])
def test_pages_run_the_same_statements_at_5_and_50_proposals(app, make, nies, login, path):
    centre, staff = nies
    client = login(staff)
    counts = []
    for total in (5, 50):
        while db.session.scalar(sa.select(sa.func.count()).where(Proposal.centre_id == centre.id)) < total:
            make.proposal(centre, requested_amount="100", requested_currency="CNY", deadline_on=date.today())
        counts.append(statements_of_page(app, client, path))
    assert counts[0] == counts[1], counts
