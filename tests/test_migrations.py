"""``flask db upgrade`` on an empty database yields exactly the models, on the engine under test."""

import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from crm import create_app
from crm.extensions import db
from crm.funding import rollup, services
from tests.conftest import TMP, ensure_database
from tests.factories import Factory


def scratch_url(app) -> str:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{TMP / 'migrations.sqlite3'}"
    return url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)


def reset(url: str) -> None:
    """An empty scratch database: a new SQLite file, or PostgreSQL's schema dropped and made again."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    ensure_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def test_upgrade_yields_exactly_the_models(app):
    url = scratch_url(app)
    reset(url)
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            # Neither SQLite's reflection nor autogenerate compares expression indexes: checked by name below.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            expression_indexes = set(index_names(conn)) & EXPRESSION_INDEXES
        db.engine.dispose()
    assert diff == [], f"Models and migrations differ: {diff}"
    assert expression_indexes == EXPRESSION_INDEXES


EXPRESSION_INDEXES = {"ix_experts_lower_name"}


def index_names(conn) -> list[str]:
    if conn.dialect.name == "sqlite":
        return list(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))
    return list(conn.scalars(sa.text("SELECT indexname FROM pg_indexes")))


def rollup_rows() -> dict[str, list[tuple]]:
    tables = {}
    for model, _ in rollup.GRAINS:
        columns = [c for c in model.__table__.c if c.name != "id"]
        tables[model.__tablename__] = sorted(db.session.execute(sa.select(*columns)).all(), key=repr)
    return tables


def test_the_dashboard_grains_are_filled_from_the_entries_on_upgrade_and_down_again(app):
    """77dcb56a45f3 replaced the network grain by one grain per dashboard table: a database with entries ends up,
    through a downgrade and an upgrade, with the rollup that ``rebuild`` makes."""
    url = scratch_url(app)
    reset(url)
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with migrated.app_context():
        upgrade()
        make = Factory()
        centre = make.centre()
        make.ledger_entry(centre, amount="1000.50", currency="CNY", booked_on=date(2025, 3, 9))
        make.ledger_entry(centre, amount="7", currency="USD", booked_on=None, category="bilateral")
        given = make.ledger_entry(
            centre, kind="in_kind", description="Desks", quantity="3", unit="desks", amount=None, currency=None
        )
        services.reverse_entry(given, "returned", date(2025, 6, 1))
        db.session.commit()
        downgrade(revision="fa68f43cd793")
        upgrade()
        filled = rollup_rows()
        rollup.rebuild()
        assert filled == rollup_rows()
        desks = sorted((r.month, r.quantity, r.entries) for r in filled["ledger_rollups_by_unit"] if r.unit == "desks")
        assert desks == [("2025-03", Decimal(3), 1), ("2025-06", Decimal(-3), 0)]
        db.session.rollback()
        db.engine.dispose()
