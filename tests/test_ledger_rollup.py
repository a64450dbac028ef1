"""The ledger rollup: maintained by every ledger write exactly as a rebuild from the entries makes it, and the
dashboards' sums read from it equal to a GROUP BY over the entries themselves, whatever the period."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Scale, generate
from crm.centres.models import Centre
from crm.dashboards.queries import Scope, ledger_buckets
from crm.dashboards.views import babel_money, money_formatter
from crm.extensions import db
from crm.funding import queries as funding_queries
from crm.funding import rollup, services
from crm.funding.models import Category, Kind, LedgerEntry, LedgerRollup, Stage


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


months = st.sampled_from([None, date(2025, 1, 15), date(2025, 1, 31), date(2025, 2, 1), date(2025, 7, 9)])
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
reverse = st.fixed_dictionaries({"op": st.just("reverse"), "pick": pick, "on": months.filter(bool)})
tranche = st.fixed_dictionaries({"op": st.just("tranche"), "pick": pick, "amount": st.sampled_from(["1", "10000"])})
untranche = st.fixed_dictionaries({"op": st.just("untranche"), "pick": pick})
operations = st.lists(st.one_of(new_entry, change, reverse, tranche, untranche), min_size=1, max_size=14)


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
        elif operation["op"] == "reverse":
            services.reverse_entry(entry, "test", operation["on"])
        elif operation["op"] == "tranche":
            amount = operation["amount"]
            services.record_tranche(
                entry,
                {"received_on": date(2025, 3, 1), "amount": amount, "currency": entry.currency, "confirm_over": True},
            )
        else:
            for t in entry.tranches:
                if t.reverses_id is None and t.reversed_by is None:
                    services.reverse_tranche(t, "returned")
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


def test_a_bucket_emptied_by_a_change_disappears_and_reversals_do_not_count_as_entries(make):
    centre = make.centre()
    entry = make.ledger_entry(centre, amount="100", currency="USD", stage="pledged", booked_on=date(2025, 3, 9))
    services.update_entry(entry, {"stage": "committed", "category": "host_institution", "purpose": "core_operations"})
    rows = db.session.execute(sa.select(LedgerRollup).where(LedgerRollup.centre_id == centre.id)).scalars().all()
    assert [(r.stage, r.month, r.amount, r.entries, r.records) for r in rows] == [
        (Stage.COMMITTED, "2025-03", Decimal("100"), 1, 1)
    ]
    services.reverse_entry(entry, "wrong", date(2025, 3, 20))
    db.session.refresh(rows[0])
    assert (rows[0].amount, rows[0].entries, rows[0].records) == (Decimal("0"), 1, 2)


def test_the_cli_rebuilds_the_rollup(app, make):
    centre = make.centre()
    make.ledger_entry(centre, amount="7", currency="USD")
    db.session.execute(sa.delete(LedgerRollup))
    result = app.test_cli_runner().invoke(args=["funding", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "Ledger rollup rebuilt" in result.output
    assert db.session.scalar(sa.select(LedgerRollup.amount).where(LedgerRollup.centre_id == centre.id)) == Decimal(7)


# --- the dashboards' sums -------------------------------------------------------------------------


def direct(scope: Scope, keys: tuple[str, ...], units: bool) -> list[tuple]:
    """The dashboards' former query: a GROUP BY over every entry, with the period rule of the registers."""
    e = LedgerEntry
    month = sa.func.substr(sa.cast(e.booked_on, sa.String), 1, 7)
    columns = [getattr(e, key) for key in keys] + ([e.unit] if units else [])
    measures = [sa.func.sum(e.amount), sa.func.count().filter(e.reverses_id.is_(None))]
    measures += [sa.func.sum(e.quantity)] if units else []
    period = sa.true()
    if scope.starts_on or scope.ends_on:
        dated = sa.and_(
            e.booked_on >= scope.starts_on if scope.starts_on else sa.true(),
            e.booked_on <= scope.ends_on if scope.ends_on else sa.true(),
        )
        period = sa.or_(dated, e.booked_on.is_(None))
    stmt = (
        sa.select(*columns, e.currency, month, *measures)
        .where(scope.centre_ids is None or e.centre_id.in_(sorted(scope.centre_ids or ())), period)
        .group_by(*columns, e.currency, month)
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


# What the dashboards read (one grain each, exactly keyed over every centre), and one no grain is keyed by.
DASHBOARD_READS = [
    (("centre_id", "stage"), False),
    (("stage",), False),
    (("category", "stage"), False),
    (("kind", "stage"), False),
    (("kind",), True),
    (("category", "kind", "stage"), True),
]


@pytest.mark.parametrize("keys,units", DASHBOARD_READS)
def test_the_dashboards_sums_from_the_rollup_equal_a_group_by_over_the_entries(make, keys, units):
    generated = generate(Scale(centres=3, organisations=100, proposals=10, entries=1_500, experts=5), tag="R")
    centre = db.session.scalar(sa.select(LedgerEntry.centre_id).order_by(LedgerEntry.id.desc()).limit(1))
    # Corrections too: reversals in other months, and an undated entry, through the services.
    for entry in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.centre_id == centre).limit(30)):
        services.reverse_entry(entry, "test", entry.booked_on + timedelta(days=40))
    assert generated.counts["ledger entries"] == 1_500
    make.ledger_entry(db.session.get(type(make.centre()), centre), booked_on=None, amount="3", currency="USD")
    for starts_on, ends_on in PERIODS:
        for centre_ids in (None, frozenset({centre})):
            scope = Scope(centre_ids, starts_on, ends_on, date(2026, 11, 24))
            got = sorted((tuple(row) for row in ledger_buckets(scope, keys, units=units)), key=as_text)
            assert got == direct(scope, keys, units), (starts_on, ends_on, centre_ids)


def test_the_resources_lists_stage_totals_from_the_rollup_equal_those_from_the_entries(make):
    generate(Scale(centres=2, organisations=50, proposals=5, entries=600, experts=5), tag="T")
    centre = db.session.scalar(sa.select(LedgerEntry.centre_id).limit(1))
    code = db.session.get(Centre, centre).code
    for filters in ({}, {"stage": Stage.COMMITTED}, {"category": Category.BILATERAL, "kind": Kind.FINANCIAL}):
        for centre_ids, centre_code in ((None, None), ({centre}, None), (None, code)):
            stmt = sa.select(LedgerEntry).where(*(getattr(LedgerEntry, k) == v for k, v in filters.items()))
            if centre_ids is not None:
                stmt = stmt.where(LedgerEntry.centre_id.in_(centre_ids))
            if centre_code:
                stmt = stmt.join(Centre, Centre.id == LedgerEntry.centre_id).where(Centre.code == centre_code)
            from_rollup = funding_queries.list_stage_totals(stmt, centre_ids, centre_code, filters)
            assert from_rollup == funding_queries.stage_totals(stmt) and from_rollup


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=-(10**13), max_value=10**13, places=4),
    locale=st.sampled_from(["en", "fr", "ru", "zh", "de", "es", "kk", "hi", "en_IN", "de_CH", "ar", "pl"]),
    currency=st.sampled_from(["USD", "CNY", "EUR", "KZT", "UZS", "JPY", "KHR", "NPR", "CHF"]),
)
def test_the_dashboards_money_formatter_writes_what_babel_writes(amount, locale, currency):
    fast = money_formatter(locale, currency)
    if fast is not None:
        assert fast(amount) == babel_money(amount, currency, locale)
    if locale in ("en", "fr", "ru", "zh"):
        assert fast is not None  # the common locales take the fast way


def test_two_workers_booking_into_the_same_bucket_both_count(app):
    """Two transactions of their own (as two gunicorn workers), the second upserting while the first holds the
    bucket uncommitted: on PostgreSQL it waits for the row, then adds; no update is lost."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer at a time: nothing can interleave")
    model = rollup.LedgerUnitRollup
    key = {"kind": "financial", "unit": "zz-race", "currency": "USD", "month": "2099-01"}
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
