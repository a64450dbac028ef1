"""The resource ledger: the done-when flow, the arithmetic, corrections, bad input, seeds and statement counts."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.centres.services import centre_by_code
from crm.core.periods import Span
from crm.extensions import db
from crm.funding import queries, services
from crm.funding.balance import balance, inventory
from crm.funding.models import Category, Kind, LedgerEntry, Stage, Tranche
from crm.money import Money
from crm.money.models import ExchangeRate
from crm.proposals.queries import proposal_counts
from crm.seeding import run_seeds
from tests.statements import statements_of_page


@pytest.fixture
def nies(make):
    centre = make.centre(code="TSCC-X2", reporting_currency="CNY")
    return centre, make.user(Role.STAFF, [centre])


def usd_cny(on: date, rate: str) -> None:
    db.session.add(
        ExchangeRate(
            effective_on=on,
            base="USD",
            quote="CNY",
            rate=Decimal(rate),
            source="manual",
            valid_until=date(2025, 12, 31),
        )
    )
    db.session.flush()


def test_done_when_a_proposal_becomes_a_commitment_received_in_two_currencies(make, nies, login):
    centre, staff = nies
    client = login(staff)
    funder = make.organisation(name="Funder Lambda")
    proposal = make.proposal(centre, funder, title="Nature-positive pilot")
    for status, on in (("submitted", "2025-03-01"), ("approved", "2025-05-01")):
        data = {"status": status, "changed_on": on}
        if status == "approved":
            data |= {"awarded_amount": "100000", "awarded_currency": "CNY"}
        assert client.post(f"/proposals/{proposal.id}/status", data=data).status_code == 302

    form = client.get(f"/resources/new?proposal={proposal.id}").get_data(as_text=True)
    assert 'value="100000' in form and "Nature-positive pilot" in form
    response = client.post(
        "/resources/new",
        data={
            "centre_id": centre.id,
            "source_id": funder.id,
            "category": "multilateral",
            "kind": "financial",
            "purpose": "project_activities",
            "stage": "committed",
            "booked_on": "2025-05-01",
            "amount": "100000",
            "currency": "CNY",
            "proposal_ids": [proposal.id],
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.centre_id == centre.id))
    assert entry.proposals == [proposal]

    usd_cny(date(2025, 5, 1), "7.2")
    usd_cny(date(2025, 9, 1), "7.1")
    tranches = [("2025-06-10", "40000", "CNY"), ("2025-09-03", "5000", "USD")]
    for received_on, amount, code in tranches:
        data = {"received_on": received_on, "amount": amount, "currency": code}
        assert client.post(f"/resources/{entry.id}/tranches", data=data).status_code == 302

    result = balance(entry)
    assert result.inventory == {"CNY": Decimal("60000"), "USD": Decimal("-5000")}
    assert result.outstanding == Money("24500", "CNY")  # 100,000 − 40,000 − 5,000 × 7.1
    assert result.exchange_difference == Money("-500", "CNY")  # 5,000 × (7.1 − 7.2)
    page = client.get(f"/resources/{entry.id}").get_data(as_text=True)
    assert "CNY\u00a024,500.00" in page and "CNY\u00a0-500.00" in page
    assert "1 USD = 7.1 CNY (manual rate, 2025-09-01)" in page


def test_without_a_rate_the_balance_says_not_converted(make, nies, login):
    centre, staff = nies
    entry = make.ledger_entry(centre, amount="1000", currency="CNY")
    services.record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "10", "currency": "KZT"})
    result = balance(entry)
    assert result.outstanding is None and result.exchange_difference is None
    assert result.inventory == {"CNY": Decimal("1000"), "KZT": Decimal("-10")}
    page = login(staff).get(f"/resources/{entry.id}").get_data(as_text=True)
    assert "not converted:" in page


def test_a_tranche_beyond_the_outstanding_balance_needs_confirming_and_is_flagged(make, nies, login):
    centre, staff = nies
    client = login(staff)
    entry = make.ledger_entry(centre, amount="1000", currency="CNY")
    data = {"received_on": "2025-04-01", "amount": "1200", "currency": "CNY"}
    response = client.post(f"/resources/{entry.id}/tranches", data=data)
    assert response.status_code == 422
    assert "more than the outstanding balance (CNY 1,000.00)" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Tranche.entry_id == entry.id)) == 0
    assert client.post(f"/resources/{entry.id}/tranches", data=data | {"confirm_over": "y"}).status_code == 302
    tranche = db.session.scalar(sa.select(Tranche).where(Tranche.entry_id == entry.id))
    assert tranche.is_over_outstanding
    assert db.session.get(LedgerEntry, entry.id).stage == Stage.RECEIVED


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "cannot be negative"),
        ({"amount": "0"}, "amount", "must be more than zero"),
        ({"amount": ""}, "amount", "A financial entry needs its amount."),
        ({"kind": "in_kind", "amount": "", "currency": ""}, "description", "Say what is given"),
        (
            {"kind": "people_time", "amount": "", "currency": "", "description": "Interns", "quantity": "7"},
            "unit",
            "unit",
        ),
        (
            {"kind": "in_kind", "description": "Office", "quantity": "1", "unit": "room"},
            "valuation_method",
            "valuation",
        ),
    ],
)
def test_bad_entries_are_refused_with_a_message_and_nothing_written(make, nies, login, data, field, message):
    centre, staff = nies
    base = {
        "centre_id": centre.id,
        "category": "host_institution",
        "kind": "financial",
        "purpose": "core_operations",
        "stage": "committed",
        "booked_on": "2025-03-01",
        "amount": "10",
        "currency": "CNY",
    }
    response = login(staff).post("/resources/new", data=base | data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.centre_id == centre.id)) == 0


def test_a_void_takes_an_entry_out_of_every_figure_and_keeps_it_in_the_history(make, nies, login):
    centre, staff = nies
    client = login(staff)
    entry = make.ledger_entry(centre, amount="500", currency="CNY", purpose_detail="Wrongly booked")
    services.record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "100", "currency": "CNY"})
    db.session.commit()
    assert client.post(f"/resources/{entry.id}/void", data={"reason": ""}).status_code == 422
    response = client.post(f"/resources/{entry.id}/void", data={"reason": "Booked twice"})
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.is_voided and entry.void_reason == "Booked twice" and entry.voided_by_id == staff.id
    assert all(t.is_voided for t in entry.tranches)
    assert queries.sum_by_currency(queries.resource_totals(centre.id)) == {}
    assert queries.totals(queries.LedgerFilters()).buckets == {}
    assert client.post(f"/resources/{entry.id}/void", data={"reason": "again"}).status_code == 422
    assert client.get(f"/resources/{entry.id}/edit").status_code == 200
    page = client.get(f"/resources/{entry.id}").get_data(as_text=True)
    assert "Voided on" in page and "Booked twice" in page
    voided = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "ledger_entries", AuditEntry.entity_id == entry.id)
    ).all()
    assert any(e.action == "update" and "voided_at" in e.changes for e in voided)


def test_a_withdrawal_nets_in_its_own_period_at_the_rate_of_the_entry_it_withdraws(make, nies, login):
    centre, staff = nies
    client = login(staff)
    entry = make.ledger_entry(centre, amount="100", currency="CNY", booked_on=date(2025, 3, 1))
    services.record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "30", "currency": "CNY"})
    db.session.commit()
    data = {"withdrawn_on": "2025-02-01", "reason": "cut"}
    assert "cannot come before" in client.post(f"/resources/{entry.id}/withdraw", data=data).get_data(as_text=True)
    data = {"withdrawn_on": "2025-09-01", "amount": "80", "reason": "cut"}
    assert "At most CNY\u00a070.00" in client.post(f"/resources/{entry.id}/withdraw", data=data).get_data(as_text=True)
    data = {"withdrawn_on": "2025-09-01", "reason": "The donor reduced its commitment"}
    assert client.post(f"/resources/{entry.id}/withdraw", data=data).status_code == 302
    withdrawal = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.withdraws_id == entry.id))
    assert (withdrawal.amount, withdrawal.booked_on, withdrawal.rate_on) == (
        Decimal("-70"),
        date(2025, 9, 1),
        date(2025, 3, 1),
    )
    spring, autumn = Span(date(2025, 1, 1), date(2025, 6, 30)), Span(date(2025, 7, 1), date(2025, 12, 31))
    assert queries.sum_by_currency(queries.resource_totals(centre.id, spring)) == {"CNY": Decimal("100")}
    assert queries.sum_by_currency(queries.resource_totals(centre.id, autumn)) == {"CNY": Decimal("-70")}
    assert balance(entry).outstanding == Money("0", "CNY")
    with pytest.raises(services.LedgerError, match="cannot itself be withdrawn"):
        services.withdraw_entry(withdrawal, {"withdrawn_on": date(2025, 9, 2), "reason": "x"}, today=date(2026, 1, 1))
    # A withdrawal entered by mistake is voided: the entry counts whole again.
    services.void_entry(withdrawal, "not withdrawn after all", by_id=None)
    assert queries.sum_by_currency(queries.resource_totals(centre.id)) == {"CNY": Decimal("100")}


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10") ** 13 - 1, places=2)
currencies = st.sampled_from(["CNY", "USD", "EUR", "KZT"])


@given(committed=amounts, currency=currencies, received=st.lists(st.tuples(amounts, currencies), max_size=8))
def test_inventory_is_committed_minus_received_per_currency(committed, currency, received):
    tranches = [Tranche(amount=amount, currency=code, received_on=date(2025, 1, 1)) for amount, code in received]
    result = inventory(Money(committed, currency), tranches)
    for code in {currency} | {code for _, code in received}:
        expected = (committed if code == currency else 0) - sum((a for a, c in received if c == code), Decimal(0))
        assert result[code] == expected


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(amounts, currencies, st.booleans()), min_size=1, max_size=5))
def test_withdrawals_net_to_zero_in_sql_totals(make, entries):
    centre = make.centre()
    expected: dict[str, Decimal] = {}
    for amount, code, reverse in entries:
        entry = services.record_entry(
            centre.id,
            {
                "category": "other",
                "kind": "financial",
                "purpose": "other",
                "stage": "committed",
                "amount": amount,
                "currency": code,
                "booked_on": date(2025, 2, 1),
            },
        )
        if reverse:
            services.withdraw_entry(entry, {"withdrawn_on": date(2025, 3, 1), "reason": "test"}, today=date(2026, 1, 1))
        else:
            expected[code] = expected.get(code, Decimal(0)) + amount
    totals = queries.sum_by_currency(queries.resource_totals(centre.id))
    assert totals == {code: amount for code, amount in expected.items() if amount}


def test_the_seeds_reproduce_the_reports_figures(app):
    run_seeds()
    nies = centre_by_code("TSCC-NIES")
    period = nies.periods[0]
    counts = proposal_counts(nies.id, period)
    assert (counts["submitted"], counts["in_preparation"]) == (5, 2)
    figures = queries.headline_figures(nies.id, Span.of(period))
    assert figures == {
        "institutional_support": {"CNY": Decimal("900000")},
        "project_funding": {"CNY": Decimal("250000")},
        "other_funding": {},
        "total": {"CNY": Decimal("1150000")},
    }
    in_kind = {(row.kind, row.quantity, row.unit) for row in queries.resource_totals(nies.id) if row.currency is None}
    assert in_kind == {
        (Kind.IN_KIND, Decimal("3"), "staff workplaces"),
        (Kind.PEOPLE_TIME, Decimal("7"), "interns"),
    }
    cciced = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.amount == Decimal("200000")))
    assert len(cciced.proposals) == 2 and all(p.awarded_amount is None for p in cciced.proposals)
    ca = centre_by_code("TSCC-CA")
    assert proposal_counts(ca.id, ca.periods[0])["submitted"] == 0
    assert queries.resource_totals(ca.id) == []
    assert [n.title for n in queries.open_needs({ca.id})] == ["Consultants for the TSCC's work"]
    assert not any(
        row.category == Category.HOST_INSTITUTION and row.stage == Stage.RECEIVED and row.currency
        for row in queries.resource_totals(nies.id)
    )
    run_seeds()  # idempotent
    assert proposal_counts(nies.id, period)["submitted"] == 5


def test_the_list_runs_the_same_statements_at_5_and_50_entries(app, make, nies, login):
    centre, staff = nies
    client = login(staff)
    proposal = make.proposal(centre)
    counts = []
    for total in (5, 50):
        while db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.centre_id == centre.id)) < total:
            entry = make.ledger_entry(centre, proposals=[proposal])
            services.record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "1", "currency": "CNY"})
        counts.append(statements_of_page(app, client, "/resources?per_page=100"))
    assert counts[0] == counts[1], counts
