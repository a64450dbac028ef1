"""Dashboards: access, converted totals with their rates and what was not converted, bad filters, links, scale."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from bench.generate import Scale, generate
from crm.agreements import services as agreement_services
from crm.agreements.models import AgreementStatus
from crm.auth.models import Role
from crm.centres.services import centre_by_code
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span
from crm.dashboards.queries import LIST_LIMIT, Scope
from crm.dashboards.summary import build, quarter_of
from crm.extensions import db
from crm.funding import services
from crm.funding.models import Category, Kind, LedgerEntry, Measure, Stage, Tranche
from crm.money import Money
from crm.money.conversion import round_exact
from crm.money.totals import Converter, RatePlan
from crm.partners.models import Organisation, OrganisationType, Partnership
from crm.proposals import services as proposal_services
from crm.proposals.models import Proposal, ProposalStatus
from crm.proposals.queries import pipeline_buckets
from crm.seeding import run_seeds
from tests.statements import statements_of_page


@pytest.fixture
def centre(make):
    centre = make.centre(code="TSCC-DQ", reporting_currency="CNY")
    make.period(centre, label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2026, 4, 30))
    return centre


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_staff_see_their_own_centre_by_default_and_not_the_network(client, make, login, centre):
    login(make.user(Role.STAFF, [centre]))
    assert "TSCC-DQ" in page(client, "/dashboards/centre")
    assert client.get("/dashboards/network").status_code == 403
    other = make.centre(code="TSCC-ELSE")
    assert client.get(f"/dashboards/centre?centre={other.code}").status_code == 404


def test_staff_without_a_centre_are_told_why_there_is_nothing(client, make, login):
    login(make.user(Role.STAFF, []))
    assert "not a member of any centre" in page(client, "/dashboards/centre")


def test_totals_convert_by_month_name_their_rates_and_keep_what_has_no_rate(make, centre):
    make.rate("USD", "CNY", "7.2", date(2025, 3, 1), source="manual")
    make.ledger_entry(centre, amount="1000", currency="CNY", booked_on=date(2025, 3, 10))
    make.ledger_entry(centre, amount="100", currency="USD", booked_on=date(2025, 3, 20))
    make.ledger_entry(centre, amount="5000", currency="KHR", booked_on=date(2025, 3, 20))
    scope = Scope(frozenset({centre.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 5, 1))
    d = build(scope, RatePlan("month", "CNY", date(2026, 4, 30)))

    total = d.resources_by_centre.cell(centre.id, Measure.COMMITTED)
    assert total.total.amount == Decimal("1720.00")  # 1000 CNY + 100 USD × 7.2
    assert {m.currency: m.amount for m in total.subtotal_money()} == {
        "CNY": Decimal("1000"),
        "USD": Decimal("100"),
        "KHR": Decimal("5000"),
    }
    assert total.rate_lines() == ["USD → CNY: 1 USD = 7.2 CNY (manual rate, 2025-03-01)"]
    (missing,) = total.not_converted()
    assert missing.startswith("KHR\u00a05,000.00 not converted: ") and "no reference rate for KHR" in missing
    (why,) = d.flags.left_out.lines
    assert why.startswith("KHR: ") and "no reference rate for KHR" in why and d.flags.left_out.currencies == ["KHR"]
    assert "first day of their month" in d.statement and "half to even" in d.statement


def test_proposals_pipeline_counts_requested_expected_and_awarded(make, centre):
    make.proposal(centre, status="in_preparation", requested_amount="1000", requested_currency="CNY")
    scope = Scope(frozenset({centre.id}), None, None, date(2026, 5, 1))
    d = build(scope, RatePlan("month", "CNY", date(2026, 5, 1)))
    from crm.proposals.models import ProposalStatus

    line = d.proposals[ProposalStatus.IN_PREPARATION]
    assert line.proposals == 1
    assert line.requested.total.amount == Decimal("1000.00")
    assert line.expected.total.amount == Decimal("200.00")  # the 20% default chance in preparation


def test_bad_filters_keep_the_previous_view_with_a_message(client, make, login, centre):
    login(make.user(Role.COORDINATOR))
    text = page(client, "/dashboards/network?currency=XYZ&was_currency=EUR&was_period=all")
    assert "not a current ISO 4217 currency code" in text and "The previous view is shown: all dates, in EUR" in text
    text = page(client, "/dashboards/network?from=2026-05-01&to=2026-01-01&was_currency=USD")
    assert "before it starts" in text and "in USD" in text


def test_every_figure_links_to_the_filtered_list(client, make, login, centre):
    entry = make.ledger_entry(centre, amount="1000", currency="CNY", booked_on=date(2025, 3, 10))
    services.record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "10", "currency": "CNY"})
    db.session.commit()
    login(make.user(Role.COORDINATOR))
    text = page(client, f"/dashboards/centre?centre={centre.code}&currency=CNY")
    period = "from=2025-01-01&amp;to=2026-04-30&amp;period=2025-2026"
    money = "currency=CNY&amp;rates=month"
    assert f"/resources?{period}&amp;measure=committed&amp;total=committed&amp;{money}&amp;centre={centre.code}" in text
    assert f"/resources/receipts?{period}&amp;total=received&amp;{money}&amp;centre={centre.code}" in text
    assert f"/partnerships?{period}&amp;centre={centre.code}" in text
    assert f"/proposals?{period}&amp;centre={centre.code}" in text


def test_charts_are_inline_svg_without_styles(client, make, login, centre):
    login(make.user(Role.COORDINATOR))
    text = page(client, "/dashboards/network")
    assert text.count("<svg") >= 5 and "style=" not in text and "<script" not in text


def test_a_page_issues_as_many_statements_at_10000_entries_as_at_1000(app, client, make, login):
    small = Scale(centres=3, organisations=300, proposals=300, entries=1_000, experts=100, partnerships_per_centre=40)
    generated = generate(small, tag="S")
    coordinator = make.user(Role.COORDINATOR)
    login(coordinator)
    urls = ["/dashboards/network", f"/dashboards/centre?centre={generated.centre_codes[0]}"]
    before = [statements_of_page(app, client, url) for url in urls]
    generate(Scale(centres=3, organisations=1_000, proposals=3_000, entries=9_000, experts=900, seed=8), tag="L")
    after = [statements_of_page(app, client, url) for url in urls]
    assert before == after


def test_done_when_the_nies_totals_agree_with_its_report_in_cny_and_usd(client, make, login):
    run_seeds()
    nies = centre_by_code("TSCC-NIES")
    login(make.user(Role.COORDINATOR))
    for currency in ("CNY", "USD"):
        text = page(client, f"/dashboards/network?currency={currency}")
        assert "Conversion policy" in text and "not converted" not in text.split("Data quality")[0]
    scope = Scope(frozenset({nies.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 11, 24))
    cny = build(scope, RatePlan("month", "CNY", date(2026, 4, 30)))
    by_category = cny.resources_by_category
    assert by_category.cell(Category.HOST_INSTITUTION, Measure.COMMITTED).total.amount == Decimal("900000.00")
    assert by_category.cell(Category.OTHER, Measure.COMMITTED).total.amount == Decimal("250000.00")
    usd = build(scope, RatePlan("month", "USD", date(2026, 4, 30)))
    institutional = usd.resources_by_category.cell(Category.HOST_INSTITUTION, Measure.COMMITTED)
    assert institutional.is_complete and institutional.subtotal_money()[0].amount == Decimal("900000")
    # Dated as the report (30 April 2026), converted at the rate of the first day of that month.
    assert institutional.rate_lines()[0].startswith("CNY → USD: 1 EUR = 7.9771 CNY (ECB reference rate, 2026-04-01")
    text = page(client, "/dashboards/centre?centre=TSCC-NIES&currency=USD")
    assert "CNY\u00a0900,000.00" in text and "rates used" in text


# --- the figures against the records, counted and converted one by one --------------------------------------


@pytest.fixture
def network(make):
    """A small generated network, read back as a network dashboard in USD with each month's rates."""
    generate(Scale(centres=3, organisations=60, proposals=200, entries=600, experts=20, partnerships_per_centre=25))
    scope = Scope(None, None, None, date(2026, 11, 24))
    plan = RatePlan("month", "USD", date(2026, 11, 24))
    return build(scope, plan), plan


def test_the_ledger_tables_equal_every_record_converted_at_its_months_rate(network):
    """Each cell against its records one by one: entries as pledged or committed by their stage, tranches as
    received, each converted at the rate of its rate month (a withdrawal: the month of what it withdraws)."""
    d, plan = network
    financial = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == Kind.FINANCIAL).limit(50)).all()
    services.void_entry(financial[0], "test", by_id=None)
    open_one = next(e for e in financial[1:] if services.withdrawable(e).amount > 0)
    services.withdraw_entry(open_one, {"withdrawn_on": date(2026, 11, 1), "reason": "test"}, today=date(2026, 12, 1))
    d = build(d.scope, plan)
    records = []  # (centre, category, quarter, measure, currency, rate month, amount)
    for e in db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == Kind.FINANCIAL, LedgerEntry.voided_at.is_(None))
    ):
        measure = Measure.PLEDGED if e.stage == Stage.PLEDGED else Measure.COMMITTED
        records.append(
            (
                e.centre_id,
                e.category,
                quarter_of(e.booked_on.isoformat()),
                measure,
                e.currency,
                e.rate_on.replace(day=1),
                e.amount,
            )
        )
    for t in db.session.scalars(sa.select(Tranche).where(Tranche.voided_at.is_(None))):
        e = t.entry
        records.append(
            (
                e.centre_id,
                e.category,
                quarter_of(t.received_on.isoformat()),
                Measure.RECEIVED,
                t.currency,
                t.received_on.replace(day=1),
                t.amount,
            )
        )
    converter = Converter.load(plan, {(r[4], r[5]) for r in records})
    tables = {
        "centre": (d.resources_by_centre, 0),
        "category": (d.resources_by_category, 1),
        "quarter": (d.resources_by_quarter, 2),
    }
    for name, (table, index) in tables.items():
        for row in {r[index] for r in records}:
            for measure in Measure:
                mine = [r for r in records if r[index] == row and r[3] == measure]
                expected = converter.total([(r[4], r[5], r[6]) for r in mine])
                cell = table.cell(row, measure)
                assert (cell.exact, cell.total) == (expected.exact, expected.total), (name, row, measure)
                assert {c: a for c, a in cell.subtotals.items() if a} == {
                    c: a for c, a in expected.subtotals.items() if a
                }
                assert cell.not_converted() == expected.not_converted()
                assert cell.rate_lines() == expected.rate_lines()
    assert d.flags.left_out.lines, "the generated KHR amounts of the second year have no rate"


def test_the_counts_and_short_lists_equal_the_records(network):
    d, _ = network
    partnerships = db.session.execute(
        sa.select(Partnership.centre_id, OrganisationType.code, Partnership.stage)
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .join(OrganisationType, OrganisationType.id == Organisation.type_id)
    ).all()
    for centre_id, type_code, stage in {*partnerships, (None, None, None)}:
        for key in (
            (centre_id, None, None),
            (None, type_code, None),
            (None, None, stage),
            (centre_id, type_code, stage),
        ):
            expected = sum(all(k is None or k == v for k, v in zip(key, p, strict=True)) for p in partnerships)
            assert d.partnership_count(*key) == expected, key

    centres_of: dict[int, set] = {}
    for organisation_id, centre_id in db.session.execute(sa.select(Partnership.organisation_id, Partnership.centre_id)):
        centres_of.setdefault(organisation_id, set()).add(centre_id)
    shared = {o: len(c) for o, c in centres_of.items() if len(c) > 1}
    rows, total = d.shared
    assert total == len(shared) > 0
    assert [(o.id, o.centres) for o in rows] == sorted(
        ((o.id, o.centres) for o in rows), key=lambda item: -item[1]
    ) and all(shared[o.id] == o.centres for o in rows)
    assert min(o.centres for o in rows) >= sorted(shared.values(), reverse=True)[len(rows) - 1]

    overdue = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.status == ProposalStatus.IN_PREPARATION, Proposal.deadline_on < date(2026, 11, 24))
        .order_by(Proposal.deadline_on, Proposal.id)
    ).all()
    rows, total = d.flags.overdue
    assert total == len(overdue) and [p.id for p in rows] == [p.id for p in overdue[: len(rows)]]
    assert len(rows) == min(len(overdue), LIST_LIMIT)


def test_a_total_cites_each_rate_with_the_amount_it_converted(make, centre):
    """The citation of a total: per currency and rate, the amount and the stored rates, which worked out (exact
    products summed, rounded once) give the figure."""
    make.rate("USD", "CNY", "7.2", date(2025, 3, 1), source="un")
    make.rate("USD", "KZT", "500", date(2025, 3, 1), source="un")
    make.rate("USD", "CNY", "7.1", date(2025, 4, 1), source="un")
    for amount, code, day in (
        ("4.50", "USD", date(2025, 3, 3)),
        ("1000", "KZT", date(2025, 3, 9)),
        ("71", "USD", date(2025, 4, 2)),
    ):
        make.ledger_entry(centre, amount=amount, currency=code, booked_on=day)
    scope = Scope(frozenset({centre.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 5, 1))
    total = build(scope, RatePlan("month", "CNY", date(2026, 4, 30))).resources_by_centre.cell(
        centre.id, Measure.COMMITTED
    )
    cited = [(c.currency, c.amount, c.factors()) for c in total.citations()]
    assert cited == [
        ("KZT", Decimal("1000"), "÷ 500 × 7.2"),
        ("USD", Decimal("4.50"), "× 7.2"),
        ("USD", Decimal("71"), "× 7.1"),
    ]
    worked = sum((c.product for c in total.citations()), Fraction(0))
    assert total.total == Money(round_exact(worked, "CNY"), "CNY") == Money("550.90", "CNY")


def test_the_proposal_sums_equal_the_proposals_added_one_by_one(network):
    """Requested and awarded per centre, status, currencies and chance set by hand, each proposal at the status
    its history gives (with no end to the period: its status now)."""
    proposals = db.session.scalars(sa.select(Proposal).order_by(Proposal.id)).all()
    for proposal in proposals[::7]:
        proposal.probability = proposal.id % 101
    db.session.flush()
    expected: dict[tuple, list] = {}
    for p in proposals:
        key = (p.centre_id, p.status, p.requested_currency, p.awarded_currency, p.probability)
        line = expected.setdefault(key, [0, 0, 0])
        line[0] += 1
        line[1] += p.requested_amount or 0
        line[2] += p.awarded_amount or 0
    got = {
        (r.centre_id, r.status, r.requested_currency, r.awarded_currency, r.probability): [
            r.proposals,
            r.requested or 0,
            r.awarded or 0,
        ]
        for r in pipeline_buckets(Span(None, None))
    }
    assert got == expected
    assert any(p.probability is not None and p.requested_amount for p in proposals)


def test_a_centres_page_ranks_its_own_history_only_and_finds_what_the_network_finds_for_it(make, centre):
    """The statuses at the period's end are ranked over the scope's own records' history (a centre's page does not
    rank the network's): each centre's figures are those the network page gives it."""
    other = make.centre(code="TSCC-OTHER")
    for owner, later in ((centre, "approved"), (other, "rejected")):
        proposal = make.proposal(owner, status="in_preparation", status_on=date(2025, 1, 10))
        for status, on in (("submitted", date(2025, 3, 1)), (later, date(2026, 6, 1))):
            proposal_services.change_status(proposal, {"status": status, "changed_on": on})
        agreement = make.agreement(owner, since="2025-05")
        agreement_services.add_step(agreement, "signed", PartialDate(date(2026, 3, 1)), "", None)
    db.session.commit()
    plan = RatePlan("month", "CNY", date(2026, 4, 30))
    network = build(Scope(None, date(2025, 1, 1), date(2026, 4, 30), date(2026, 11, 24)), plan)
    for owner in (centre, other):
        own = build(Scope(frozenset({owner.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 11, 24)), plan)
        assert own.proposals_by_centre[owner.id].proposals == network.proposals_by_centre[owner.id].proposals == 1
        assert {s: line.proposals for s, line in own.proposals.items()} == {ProposalStatus.SUBMITTED: 1}
        assert own.agreements == {(owner.id, AgreementStatus.SIGNED): 1}
        assert own.agreements.items() <= network.agreements.items()


def test_proposals_and_agreements_count_with_the_status_their_history_gives_at_the_periods_end(make, centre):
    proposal = make.proposal(centre, status="in_preparation", status_on=date(2025, 1, 10))
    for status, on in (("submitted", date(2025, 3, 1)), ("approved", date(2026, 6, 1))):
        proposal_services.change_status(proposal, {"status": status, "changed_on": on})
    agreement = make.agreement(centre, since="2025-05")
    agreement_services.add_step(agreement, "signed", PartialDate(date(2026, 7, 1)), "", None)
    make.proposal(centre, status="idea", status_on=date(2026, 5, 15))  # recorded after the period: not counted
    db.session.commit()
    period = Scope(frozenset({centre.id}), date(2025, 1, 1), date(2026, 4, 30), date(2026, 11, 24))
    d = build(period, RatePlan("month", "CNY", date(2026, 4, 30)))
    assert {status: line.proposals for status, line in d.proposals.items()} == {ProposalStatus.SUBMITTED: 1}
    assert d.agreements == {(centre.id, AgreementStatus.DRAFTING): 1}
    now = build(
        Scope(frozenset({centre.id}), None, None, date(2026, 11, 24)), RatePlan("month", "CNY", date(2026, 11, 24))
    )
    assert {status: line.proposals for status, line in now.proposals.items()} == {
        ProposalStatus.IDEA: 1,
        ProposalStatus.APPROVED: 1,
    }
    assert now.agreements == {(centre.id, AgreementStatus.SIGNED): 1}
