"""Converting 100,000 amounts in 12 currencies over two years, as a dashboard does.

    .venv/bin/python -m bench.conversion                      # a throwaway SQLite file
    .venv/bin/python -m bench.conversion postgresql://postgres@127.0.0.1:5432/crm_bench

``run(engine_url)`` builds the amounts in a table of its own, loads rates (the packaged ECB
history, and monthly USD-based rates for the currencies the ECB lacks, generated for the
benchmark only), times two ways of converting them, and rolls everything back:

- per amount: read the 100,000 rows, load a RateBook once, convert each (a Conversion per row), total them;
- per bucket (what dashboards do): GROUP BY currency and date in SQL, convert the buckets.

Each totals through ``ConvertedTotal`` (exact products, rounded once); both count their SQL statements;
neither issues one per row.
"""

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tools.statements import recorded_statements

AMOUNTS = 100_000
START, DAYS = date(2024, 1, 1), 731
TARGET = "USD"
# Twelve currencies; the last five have no ECB rate, so they need the generated UN-style rates.
CURRENCIES = ("CNY", "USD", "EUR", "GBP", "JPY", "CHF", "RUB", "KZT", "UZS", "KGS", "NPR", "PKR")
PER_USD = {"KZT": "480", "UZS": "12700", "KGS": "87", "NPR": "134", "PKR": "280"}


def _amounts_table(metadata: sa.MetaData) -> sa.Table:
    from crm.core.types import ExactDecimal

    return sa.Table(
        "bench_conversion_amounts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", ExactDecimal()),
        sa.Column("currency", sa.String(3)),
        sa.Column("booked_on", sa.Date),
    )


def _build(table: sa.Table) -> None:
    from crm.extensions import db
    from crm.money import services
    from crm.money.providers import ecb
    from crm.money.providers.base import ParsedRate, ParsedRates

    services.store_rates("ecb", ecb.parse(since=START - timedelta(days=14)))
    generated = [
        ParsedRate(date(year, month, 1), "USD", code, Decimal(rate) * (1 + Decimal(month - 6) / 100))
        for code, rate in PER_USD.items()
        for year in (START.year, START.year + 1)
        for month in range(1, 13)
    ]
    services.store_rates("un", ParsedRates(generated, reference="generated for the benchmark"))
    rng = random.Random(5)
    db.session.execute(
        sa.insert(table),
        [
            {
                "amount": Decimal(rng.randrange(100, 10_000_000)).scaleb(-2),
                "currency": rng.choice(CURRENCIES),
                "booked_on": START + timedelta(days=rng.randrange(DAYS)),
            }
            for _ in range(AMOUNTS)
        ],
    )
    db.session.flush()


def _per_amount(table, policy) -> dict:
    from crm.extensions import db
    from crm.money import Money
    from crm.money.conversion import ConversionError, RateBook
    from crm.money.totals import ConvertedTotal

    started = time.perf_counter()
    with recorded_statements(db.engine) as statements:
        rows = db.session.execute(sa.select(table.c.amount, table.c.currency, table.c.booked_on)).all()
        read = time.perf_counter()
        book = RateBook.load(set(CURRENCIES), START, START + timedelta(days=DAYS), policy)
        loaded = time.perf_counter()
        results = [book.try_convert(Money(amount, code), TARGET, day, policy) for amount, code, day in rows]
        total = ConvertedTotal.of_conversions(TARGET, results)
    done = time.perf_counter()
    failures = sum(isinstance(result, ConversionError) for result in results)
    return {
        "statements": len(statements),
        "read_rows_s": round(read - started, 3),
        "load_rates_s": round(loaded - read, 3),
        "convert_s": round(done - loaded, 3),
        "total_s": round(done - started, 3),
        "converted": AMOUNTS - failures,
        "not_converted": failures,
        "total": str(total.total),
    }


def _per_bucket(table, policy) -> dict:
    from crm.extensions import db
    from crm.money import Money
    from crm.money.conversion import ConversionError, RateBook
    from crm.money.totals import ConvertedTotal

    started = time.perf_counter()
    with recorded_statements(db.engine) as statements:
        buckets = db.session.execute(
            sa.select(table.c.currency, table.c.booked_on, sa.func.sum(table.c.amount), sa.func.count()).group_by(
                table.c.currency, table.c.booked_on
            )
        ).all()
        grouped = time.perf_counter()
        book = RateBook.load(set(CURRENCIES), START, START + timedelta(days=DAYS), policy)
        loaded = time.perf_counter()
        # SUM keeps the column's type: ExactDecimal gives back an exact Decimal on both engines.
        results = [book.try_convert(Money(amount, code), TARGET, day, policy) for code, day, amount, _ in buckets]
        total = ConvertedTotal.of_conversions(TARGET, results)
    done = time.perf_counter()
    return {
        "statements": len(statements),
        "buckets": len(buckets),
        "group_by_s": round(grouped - started, 3),
        "load_rates_s": round(loaded - grouped, 3),
        "convert_s": round(done - loaded, 3),
        "total_s": round(done - started, 3),
        "not_converted_amounts": sum(
            n for (_, _, _, n), r in zip(buckets, results, strict=True) if isinstance(r, ConversionError)
        ),
        "total": str(total.total),
    }


def run(engine_url: str | None = None) -> dict:
    """Build, time and roll back; return the figures."""
    from crm import create_app
    from crm.extensions import db
    from crm.money.policy import Policy

    url = engine_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='crm-bench-')) / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        metadata = sa.MetaData()
        table = _amounts_table(metadata)
        # Everything happens in one transaction, rolled back at the end: the database is left as it was.
        metadata.create_all(db.session.connection())
        try:
            built = time.perf_counter()
            _build(table)
            figures = {"engine": db.engine.dialect.name, "amounts": AMOUNTS, "currencies": len(CURRENCIES)}
            figures["build_s"] = round(time.perf_counter() - built, 2)
            policy = Policy.transaction_date()
            figures["per_amount"] = _per_amount(table, policy)
            figures["per_bucket"] = _per_bucket(table, policy)
        finally:
            db.session.rollback()
    return figures


if __name__ == "__main__":
    figures = run(sys.argv[1] if len(sys.argv) > 1 else None)
    for key, value in figures.items():
        print(f"{key}: {value}")
