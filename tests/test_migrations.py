"""``flask db upgrade`` on an empty database yields exactly the models, on the engine under test."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from crm import create_app
from crm.extensions import db
from tests.conftest import TMP, ensure_database


def scratch_url(app) -> str:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{TMP / 'migrations.sqlite3'}"
    return url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)


def reset(url: str) -> None:
    ensure_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()


def test_upgrade_yields_exactly_the_models(app):
    url = scratch_url(app)
    reset(url)
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"Models and migrations differ: {diff}"
