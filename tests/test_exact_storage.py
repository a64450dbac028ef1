"""Money and rates are stored exactly on both engines (DESIGN.md, "Money rules")."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.core.types import MONEY_SCALE, ExactDecimal
from crm.extensions import db
from crm.money.currencies import known_currencies, minor_units

probe = sa.Table(
    "exact_storage_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", ExactDecimal(MONEY_SCALE)),
)

CURRENCIES = sorted(known_currencies())


@pytest.fixture
def table(app):
    with app.app_context():
        probe.create(db.session.connection(), checkfirst=True)
        yield probe


@st.composite
def amounts(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    units = minor_units(currency)
    minor = draw(st.integers(min_value=-(10**13) * 10**units, max_value=10**13 * 10**units))
    return Decimal(minor).scaleb(-units)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=amounts())
def test_any_amount_up_to_10_13_round_trips_exactly(table, value):
    session = db.session
    row_id = session.execute(sa.insert(table).values(amount=value).returning(table.c.id)).scalar_one()
    stored = session.execute(sa.select(table.c.amount).where(table.c.id == row_id)).scalar_one()
    assert stored == value
    assert isinstance(stored, Decimal)


def test_the_float_trap_does_not_bite(table):
    value = Decimal("99999999999999.99")
    db.session.execute(sa.insert(table).values(amount=value))
    assert db.session.execute(sa.select(table.c.amount)).scalar_one() == value


def test_sums_in_sql_are_exact(table):
    values = [Decimal("0.1"), Decimal("0.2"), Decimal("99999999999.99"), Decimal("-0.3")]
    db.session.execute(sa.insert(table), [{"amount": v} for v in values])
    total = db.session.execute(sa.select(sa.func.sum(table.c.amount))).scalar_one()
    assert total == sum(values) == Decimal("99999999999.99")


def test_floats_and_excess_precision_are_refused(table):
    with pytest.raises(sa.exc.StatementError, match="Floats"):
        db.session.execute(sa.insert(table).values(amount=0.1))
    with pytest.raises(sa.exc.StatementError, match="decimal places"):
        db.session.execute(sa.insert(table).values(amount=Decimal("1.00001")))


def test_migrations_keep_the_scale_of_rate_columns():
    assert repr(ExactDecimal(10)) == "ExactDecimal(scale=10, precision=19)"
    assert eval(repr(ExactDecimal(10))).scale == 10
