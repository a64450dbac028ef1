"""Fixtures in the spirit of pallets/flask's tutorial and indico: one database per session, rollback per test.

The engine is chosen by TEST_DATABASE_URL (a SQLite file by default); ``make test``
runs the suite once on SQLite and once on PostgreSQL.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from flask_sqlalchemy.session import Session as FlaskSession
from hypothesis import settings

# CI replays the same examples on every run, so a red build always points at a change, never at luck;
# local runs keep drawing new examples, which is where the property tests find new bugs.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

TMP = Path(tempfile.mkdtemp(prefix="crm-tests-"))
os.environ["CRM_ENV"] = "test"
os.environ["SECRET_KEY"] = "test-secret-" + "x" * 40
os.environ.pop("DATABASE_URL", None)
# Seeds write demo logins into the instance folder: the tests get their own, never the developer's.
os.environ["CRM_INSTANCE_PATH"] = str(TMP / "instance")

from crm import create_app, register_models  # noqa: E402
from crm.config import database_url  # noqa: E402
from crm.extensions import db  # noqa: E402
from tests.factories import Factory  # noqa: E402

# Every model mapped before a test module builds one at import (relationships name classes of other domains).
register_models()


def test_database_url() -> str:
    return database_url(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{TMP / 'test.sqlite3'}", str(TMP))


@contextmanager
def server_of(url):
    """(An AUTOCOMMIT connection to the PostgreSQL server of ``url``, its database's name), or (None, None)."""
    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql":
        yield None, None
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn, target.database
    finally:
        admin.dispose()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it is missing."""
    with server_of(url) as (conn, name):
        if conn is not None and not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def app():
    url = test_database_url()
    ensure_database(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(TMP / "uploads"),
            "SERVER_NAME": "localhost",
            # Where links in mail and feeds point, whatever the developer's environment says.
            "BASE_URL": "http://127.0.0.1:5000",
            # Each test rolls its data back, and its versions with it: a page kept by an earlier test would match
            # a later one's key. The cache is tested on apps of their own (tests/test_page_cache.py).
            "PAGE_CACHE": "none",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()

    def forget_the_previous_requests_user():
        # Tests keep one app context open across requests, so ``g`` would carry the user
        # Flask-Login loaded for the previous request; in production each request has its own.
        # First of the hooks: the app's own may already draw a page for the current user.
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_the_previous_requests_user)

    yield app
    with app.app_context():
        db.engine.dispose()


class SessionOnConnection(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine for any mapped class, ignoring ``bind``:
    its writes would commit for real and leak from test to test. This one stays on the test's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind


# Tests that commit for real, on a database of their own, instead of rolling back one shared transaction.
OWN_DATABASE_FIXTURES = {"live_server", "fresh_app"}


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test runs in a transaction rolled back at its end; commits inside become savepoints."""
    if OWN_DATABASE_FIXTURES & set(request.fixturenames):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": SessionOnConnection}
        )
        original, db.session = db.session, session
        try:
            yield
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()


def fresh_database_url(name: str, folder: Path) -> str:
    """An empty database next to the test database: a SQLite file in ``folder``, or ``<test db>_<name>``."""
    base = sa.make_url(test_database_url())
    if base.get_backend_name() != "postgresql":
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    url = base.set(database=f"{base.database}_{name}")
    drop_database(url)
    ensure_database(url.render_as_string(hide_password=False))
    return url.render_as_string(hide_password=False)


def drop_database(url) -> None:
    with server_of(url) as (conn, name):
        if conn is not None:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_app(tmp_path):
    """Build apps on databases of their own (``fresh_app("name", schema=True)``): committed for real, seen by
    other connections, threads and processes; dropped at the end of the test."""
    built = []

    def build(name: str = "fresh", schema: bool = True, **overrides):
        url = fresh_database_url(name, tmp_path)
        config = {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / f"{name}-uploads")}
        new = create_app(config | overrides)
        built.append(new)
        if schema:
            with new.app_context():
                db.create_all()
        return new

    yield build
    for each in built:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(each.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture
def seeded(app):
    """The demo data of seeds/ (the two centres of the reports and their records); centres by code."""
    from crm.centres.services import centre_by_code
    from crm.seeding import run_seeds

    run_seeds()
    db.session.commit()
    return {code: centre_by_code(code) for code in ("TSCC-NIES", "TSCC-CA")}


@pytest.fixture
def nies(make):
    """A centre coded as the NIES centre is, hosted in China (modules that need more define their own)."""
    return make.centre(code="TSCC-NIES", host_country="CN")


@pytest.fixture
def staff(make, nies):
    """A staff member of ``nies``."""
    from crm.auth.models import Role

    return make.user(Role.STAFF, [nies])


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(app):
    """Factory callables: make.centre(), make.user(role, centres)... (see tests/factories.py)."""
    with app.app_context():
        yield Factory()


@pytest.fixture
def login(client):
    """Sign ``user`` in on the test client without going through the (deliberately slow) password hash."""

    def sign_in(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.session_token
            session["_fresh"] = True
        return client

    return sign_in


@pytest.fixture
def engine_name(app):
    with app.app_context():
        return db.engine.dialect.name
