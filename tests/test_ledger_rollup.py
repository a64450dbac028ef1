"""The ledger rollups: maintained by every ledger write exactly as a rebuild from the records makes them, the
dashboards' and lists' sums read from them equal to a GROUP BY over the records themselves, whatever the period,
and no amount the app accepts able to overflow them."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Scale, generate
from crm.centres.models import Centre
from crm.core.periods import Span
from crm.core.types import exact_sum
from crm.extensions import db
from crm.funding import queries as funding_queries
from crm.funding import rollup, services
from crm.funding.models import Category, Kind, LedgerEntry, LedgerRollup, Measure, Stage
from crm.money.amounts import MAX_AMOUNT


def snapshot() -> list[list[tuple]]:
    """Every grain's rows, without their ids."""
    db.session.flush()
    grains = []
    for model, _ in rollup.GRAINS:
        columns = [c for c in model.__table__.c if c.name != "id"]
        grains.append(sorted(db.session.execute(sa.select(*columns)).all(), key=repr))
    return grains


def rebuilt() -> list[tuple]:
    rollup.rebuild_rollups()
    return snapshot()


months = st.sampled_from([date(2025, 1, 15), date(2025, 1, 31), date(2025, 2, 1), date(2025, 7, 9)])
new_entry = st.fixed_dictionaries(
    {
        "op": st.just("create"),
        "centre": st.integers(0, 1),
        "kind": st.sampled_from(list(Kind)),
        "category": st.sampled_from([Category.OTHER, Category.BILATERAL]),
        "stage": st.sampled_from(list(Stage)),
        "amount": st.one_of(st.none(), st.decimals(min_value=1, max_value=10**9, places=2)),
        "currency": st.sampled_from(["CNY", "USD"]),
        "booked_on": months,
        "unit": st.sampled_from(["rooms", "interns"]),
    }
)
pick = st.integers(0, 50)
change = st.fixed_dictionaries(
    {
        "op": st.just("update"),
        "pick": pick,
        "stage": st.sampled_from(list(Stage)),
        "category": st.sampled_from([Category.OTHER, Category.HOST_INSTITUTION]),
        "booked_on": months,
        "unit": st.sampled_from(["rooms", "desks"]),
    }
)
withdraw = st.fixed_dictionaries(
    {"op": st.just("withdraw"), "pick": pick, "on": months, "amount": st.sampled_from(["", "1"])}
)
void = st.fixed_dictionaries({"op": st.just("void"), "pick": pick})
tranche = st.fixed_dictionaries({"op": st.just("tranche"), "pick": pick, "amount": st.sampled_from(["1", "10000"])})
untranche = st.fixed_dictionaries({"op": st.just("untranche"), "pick": pick})
operations = st.lists(st.one_of(new_entry, change, withdraw, void, tranche, untranche), min_size=1, max_size=14)


def run(operation: dict, centres) -> None:
    live = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.centre_id.in_([c.id for c in centres])).order_by(LedgerEntry.id)
    ).all()
    if operation["op"] == "create":
        kind = operation["kind"]
        data = {
            "category": operation["category"],
            "kind": kind,
            "purpose": "other",
            "stage": operation["stage"],
            "booked_on": operation["booked_on"],
            "amount": operation["amount"] if not kind.is_financial else operation["amount"] or Decimal(5),
            "currency": operation["currency"] if kind.is_financial or operation["amount"] else None,
        }
        if not kind.is_financial:
            data |= {"description": "Given", "quantity": "3", "unit": operation["unit"], "valuation_method": "rent"}
        services.record_entry(centres[operation["centre"]].id, data)
        return
    if not live:
        return
    entry = live[operation["pick"] % len(live)]
    try:
        if operation["op"] == "update":
            data = {key: operation[key] for key in ("stage", "category", "booked_on", "unit")}
            services.update_entry(entry, data | {"purpose": entry.purpose, "description": entry.description or "x"})
        elif operation["op"] == "withdraw":
            data = {"withdrawn_on": operation["on"], "amount": operation["amount"], "reason": "test"}
            services.withdraw_entry(entry, data, today=date(2026, 12, 1))
        elif operation["op"] == "void":
            services.void_entry(entry, "a mistake", by_id=None)
        elif operation["op"] == "tranche":
            amount = operation["amount"]
            services.record_tranche(
                entry,
                {"received_on": date(2025, 8, 1), "amount": amount, "currency": entry.currency, "confirm_over": True},
            )
        else:
            for t in entry.live_tranches:
                services.void_tranche(t, "typed twice", by_id=None)
                break
    except services.LedgerError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_the_maintained_rollup_equals_a_rebuild_after_any_writes(make, steps):
    rollup.rebuild_rollups()
    centres = [make.centre(), make.centre()]
    for operation in steps:
        run(operation, centres)
    maintained = snapshot()
    assert maintained == rebuilt()


def test_a_bucket_emptied_by_a_change_disappears_and_withdrawals_do_not_count_as_entries(make):
    centre = make.centre()
    entry = make.ledger_entry(centre, amount="100", currency="USD", stage="pledged", booked_on=date(2025, 3, 9))
    services.update_entry(entry, {"stage": "committed", "category": "host_institution", "purpose": "core_operations"})
    rows = db.session.execute(sa.select(LedgerRollup).where(LedgerRollup.centre_id == centre.id)).scalars().all()
    assert [(r.measure, r.month, r.rate_month, r.amount, r.entries, r.records) for r in rows] == [
        (Measure.COMMITTED, "2025-03", "2025-03", Decimal("100"), 1, 1)
    ]
    services.withdraw_entry(entry, {"withdrawn_on": date(2025, 5, 20), "reason": "cut"}, today=date(2026, 1, 1))
    rows = (
        db.session.execute(
            sa.select(LedgerRollup).where(LedgerRollup.centre_id == centre.id).order_by(LedgerRollup.month)
        )
        .scalars()
        .all()
    )
    # The withdrawal falls in May and converts at the rate of March, the month of what it withdraws.
    assert [(r.month, r.rate_month, r.amount, r.entries) for r in rows] == [
        ("2025-03", "2025-03", Decimal("100"), 1),
        ("2025-05", "2025-03", Decimal("-100"), 0),
    ]
    services.void_entry(entry, "booked for the wrong centre", by_id=None)
    assert db.session.scalars(sa.select(LedgerRollup).where(LedgerRollup.centre_id == centre.id)).all() == []


def test_the_cli_rebuilds_the_rollup(app, make):
    centre = make.centre()
    make.ledger_entry(centre, amount="7", currency="USD")
    db.session.execute(sa.delete(LedgerRollup))
    result = app.test_cli_runner().invoke(args=["funding", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "Ledger rollup rebuilt" in result.output
    assert db.session.scalar(sa.select(LedgerRollup.amount).where(LedgerRollup.centre_id == centre.id)) == Decimal(7)


# --- the dashboards' sums -------------------------------------------------------------------------


def direct(span: Span, centre_ids, keys: tuple[str, ...], units: bool) -> list[tuple]:
    """What the rollups hold, summed straight from the records themselves (``rollup.records_select``)."""
    records = rollup.records_select().subquery()
    columns = [records.c[key] for key in keys]
    measures = [exact_sum(records.c.amount), sa.func.sum(records.c.entries)]
    measures += [exact_sum(records.c.quantity, 4)] if units else []
    stmt = (
        sa.select(*columns, sa.func.nullif(records.c.currency, ""), records.c.rate_month, *measures)
        .where(span.within(records.c.day), sa.true() if centre_ids is None else records.c.centre_id.in_(centre_ids))
        .group_by(*columns, records.c.currency, records.c.rate_month)
    )
    return sorted((tuple(row) for row in db.session.execute(stmt)), key=as_text)


def as_text(row: tuple) -> tuple:
    """A sort key alike for an enum member and the value it stores (the dashboards read the values)."""
    return tuple(str(value) for value in row)


PERIODS = [
    (None, None),
    (date(2025, 1, 1), date(2026, 4, 30)),  # whole months: the rollup alone
    (date(2025, 3, 17), date(2025, 11, 3)),  # both ends cut a month
    (date(2025, 6, 5), date(2025, 6, 20)),  # inside one month
    (None, date(2025, 8, 14)),
    (date(2026, 2, 28), None),
    (date(2025, 5, 31), date(2025, 6, 1)),
]


# What the dashboards and lists read, and keys no coarse grain has.
DASHBOARD_READS = [
    (("centre_id", "measure"), False),
    (("measure",), False),
    (("category", "measure"), False),
    (("month", "measure"), False),
    (("kind", "unit", "measure"), True),
    (("category", "kind", "measure"), True),
]


@pytest.mark.parametrize("keys,units", DASHBOARD_READS)
def test_the_dashboards_sums_from_the_rollup_equal_a_group_by_over_the_records(make, keys, units):
    generated = generate(Scale(centres=3, organisations=100, proposals=10, entries=1_500, experts=5), tag="R")
    centre = db.session.scalar(sa.select(LedgerEntry.centre_id).order_by(LedgerEntry.id.desc()).limit(1))
    # Corrections too, through the services: withdrawals in later months, voids.
    for n, entry in enumerate(
        db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.centre_id == centre).limit(30))
    ):
        if n % 3:
            services.void_entry(entry, "test", by_id=None)
        elif entry.is_active and (entry.kind != Kind.FINANCIAL or services.withdrawable(entry).amount > 0):
            on = entry.booked_on + timedelta(days=40)
            services.withdraw_entry(entry, {"withdrawn_on": on, "reason": "test"}, today=date(2030, 1, 1))
    assert generated.counts["ledger entries"] == 1_500
    for starts_on, ends_on in PERIODS:
        span = Span(starts_on, ends_on)
        for centre_ids in (None, frozenset({centre})):
            rows = funding_queries.ledger_buckets(span, centre_ids, keys, units=units)
            got = sorted((tuple(row) for row in rows), key=as_text)
            assert got == direct(span, centre_ids, keys, units), (starts_on, ends_on, centre_ids)


def test_the_lists_totals_from_the_rollup_equal_those_from_the_records(make):
    generate(Scale(centres=2, organisations=50, proposals=5, entries=600, experts=5), tag="T")
    centre = db.session.scalar(sa.select(LedgerEntry.centre_id).limit(1))
    code = db.session.get(Centre, centre).code
    for args in ({}, {"measure": "committed"}, {"category": "bilateral", "kind": "financial"}, {"to": "2025-06-17"}):
        for centre_ids, centre_code in ((None, ""), ({centre}, ""), (None, code)):
            filters = funding_queries.LedgerFilters.from_args(args | {"centre": centre_code}, centre_ids)
            from_rollup = funding_queries.totals(filters)
            # The same filters with one the rollups do not hold (every purpose): summed from the records.
            every_purpose = funding_queries.LedgerFilters(
                filters.centre_ids, filters.centre, filters.span, (*filters.chosen, ("purpose", None))
            )
            from_records = records_totals(every_purpose)
            assert from_rollup.buckets == from_records and from_rollup.buckets, (args, centre_ids, centre_code)


def records_totals(filters) -> dict:
    """``totals`` summed from the records, the purpose filter dropped (it stood for "any")."""
    conditions = [c for c in filters.entry_conditions() if "purpose" not in str(c)]
    rows = funding_queries.ledger_buckets(
        filters.span, filters.centre_ids, ("measure",), extra=conditions or [sa.true()]
    )
    buckets = {}
    for measure, currency, rate_month, amount, _ in rows:
        if currency and amount:
            buckets.setdefault(Measure(measure), {})[(currency, rate_month)] = amount
    return buckets


def test_no_amount_the_app_accepts_overflows_a_bucket_or_blocks_another_centre(make):
    """Ninety-three entries of the largest amount in one month overflow 64-bit integers: the buckets (and every
    sum read from them) stay exact, and another centre books into the network-wide buckets of that month."""
    largest = str(MAX_AMOUNT - Decimal("0.01"))
    one, other = make.centre(), make.centre()
    for _ in range(93):
        services.record_entry(
            one.id,
            {
                "category": "other",
                "kind": "financial",
                "purpose": "other",
                "stage": "committed",
                "amount": largest,
                "currency": "USD",
                "booked_on": date(2025, 4, 1),
            },
        )
    services.record_entry(
        other.id,
        {
            "category": "other",
            "kind": "financial",
            "purpose": "other",
            "stage": "committed",
            "amount": "100",
            "currency": "USD",
            "booked_on": date(2025, 4, 2),
        },
    )
    totals = funding_queries.totals(funding_queries.LedgerFilters())
    assert totals.of(Measure.COMMITTED) == {"USD": Decimal(largest) * 93 + 100}
    assert snapshot() == rebuilt()


def test_two_workers_booking_into_the_same_bucket_both_count(app):
    """Two transactions of their own (as two gunicorn workers), the second upserting while the first holds the
    bucket uncommitted: on PostgreSQL it waits for the row, then adds; no update is lost."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer at a time: nothing can interleave")
    model = rollup.LedgerUnitRollup
    key = {"kind": "financial", "unit": "zz-race", "measure": "committed", "currency": "USD", "month": "2099-01"}
    key["rate_month"] = "2099-01"
    table = model.__table__
    where = [table.c[k] == v for k, v in key.items()]

    def book(conn, amount: str) -> None:
        measures = {"amount": Decimal(amount), "quantity": None, "entries": 1, "records": 1}
        conn.execute(rollup.upsert("postgresql", model, key, measures))

    first, second = engine.connect(), engine.connect()
    try:
        first.begin()
        book(first, "100")  # the first worker's bucket row, not committed yet
        done = threading.Event()

        def second_worker():
            with second.begin():
                book(second, "5")  # blocks on the first's row until it commits
            done.set()

        worker = threading.Thread(target=second_worker)
        worker.start()
        assert not done.wait(0.5)  # still waiting for the first transaction
        first.commit()
        worker.join(10)
        assert done.is_set()
        with engine.connect() as conn:
            row = conn.execute(sa.select(table.c.amount, table.c.entries).where(*where)).one()
        assert (row.amount, row.entries) == (Decimal("105"), 2)
    finally:
        first.close()
        second.close()
        with engine.begin() as conn:
            conn.execute(sa.delete(table).where(*where))
        engine.dispose()
