"""``exact_sum`` on SQLite: SQLite's own SUM over the 32-bit halves of what fits 63 bits, the Python aggregate for
the rest, joined exactly whatever the sizes, signs and NULLs."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.core.sqlite import configure_sqlite
from crm.core.types import exact_sum
from crm.money.value import exactly

BIG = 9223372036854775807


@pytest.mark.parametrize(
    "values",
    [
        [],
        [None],
        [None, None],
        [5],
        [-5, None, 7],
        [BIG, BIG, BIG, -BIG - 1],
        [-BIG - 1, -BIG - 1, -1],
        [str(10**30), "-12", 3, None],
        [str(-(10**25)), str(10**25), "999999999999999999", "-999999999999999999"],
        [2**32 - 1] * 1000 + [-(2**31)] * 7,
    ],
)
def test_exact_sum_matches_python_integers(values):
    engine = sa.create_engine("sqlite://")
    configure_sqlite(engine)
    table = sa.table("t", sa.column("x", sa.String))
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
        for value in values:
            connection.exec_driver_sql("INSERT INTO t (x) VALUES (?)", (value,))
        with exactly():  # Decimal's default context would round a 30-digit sum as it is read
            got = connection.execute(sa.select(exact_sum(table.c.x, 0))).scalar()
    present = [int(v) for v in values if v is not None]
    assert got == (Decimal(sum(present)) if present else None)
