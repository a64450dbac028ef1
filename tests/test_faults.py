"""Faults, each tried for real: a rate service that fails, a database that goes away, a killed import, a full disk."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.agreements.models import AgreementDocument
from crm.auth.models import Role
from crm.experts.models import ExpertPool
from crm.extensions import db
from crm.money.models import ExchangeRate, RateImport
from crm.money.providers import ecb
from tests.factories import Factory
from tests.netfaults import Relay, reply, serve_answers
from tests.test_money_rates import closed_port

ROOT = Path(__file__).resolve().parent.parent


def stored_rates() -> list[tuple]:
    return db.session.execute(sa.select(ExchangeRate.quote, ExchangeRate.rate, ExchangeRate.source)).all()


# -- an online rate source that fails ------------------------------------------------------------------

GOOD = '{"base": "USD", "date": "2026-03-02", "rates": {"CNY": 7.1234, "EUR": 0.91}}'
ANSWERS = {
    "an HTML page": ("<html>Service moved</html>", 200, "did not answer with rates"),
    "a JSON list": ("[1, 2, 3]", 200, "did not answer with rates"),
    "an error status": ('{"error": "down"}', 503, "did not answer with rates"),
    "no rates": ('{"base": "USD", "rates": {}}', 200, "answered without any rates"),
    "NaN": ('{"rates": {"CNY": NaN, "EUR": 0.91}}', 200, "did not answer with rates"),
    "Infinity": ('{"rates": {"CNY": Infinity, "EUR": 0.91}}', 200, "did not answer with rates"),
    "a negative rate": ('{"rates": {"CNY": -7.1, "EUR": 0.91}}', 200, "must be more than zero"),
    "a zero rate": ('{"rates": {"CNY": 0, "EUR": 0.91}}', 200, "must be more than zero"),
    "too many decimals": ('{"rates": {"CNY": 7.123456789012345, "EUR": 0.91}}', 200, "more than 10 decimal"),
    "a rate past any currency": ('{"rates": {"CNY": 1e15, "EUR": 0.91}}', 200, "must be less than"),
    "text for a rate": ('{"rates": {"CNY": "seven", "EUR": 0.91}}', 200, "must be a number"),
}


@pytest.fixture
def rate_service():
    servers = []

    def start(answer):
        server = serve_answers(answer)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/api/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def refresh(app, url: str, timeout: float = 2):
    return app.test_cli_runner().invoke(args=["rates", "refresh", "--url", url, "--timeout", str(timeout)])


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_a_rate_service_answering_garbage_changes_no_stored_rate(app, make, rate_service, client, login, case):
    make.rate("USD", "CNY", "7.1", date(2025, 6, 1), source="forex")
    before = stored_rates()
    body, status, message = ANSWERS[case]
    result = refresh(app, rate_service(lambda handler: reply(handler, body, status)))
    assert result.exit_code == 1 and message in result.output and "nothing was changed" in result.output
    assert stored_rates() == before
    login(make.user(Role.ADMIN))
    assert client.get("/rates/").status_code == 200


def test_a_slow_or_unreachable_rate_service_changes_nothing(app, make, rate_service):
    make.rate("USD", "CNY", "7.1", date(2025, 6, 1), source="forex")
    before = stored_rates()
    slow = refresh(app, rate_service(lambda handler: time.sleep(3) or reply(handler, GOOD)), timeout=1)
    assert slow.exit_code == 1 and "did not answer within 1 seconds" in slow.output
    gone = refresh(app, f"http://127.0.0.1:{closed_port()}/api/")
    assert gone.exit_code == 1 and "could not be reached" in gone.output
    assert stored_rates() == before


def test_a_good_answer_from_the_same_service_is_stored(app, make, rate_service):
    result = refresh(app, rate_service(lambda handler: reply(handler, GOOD)))
    assert result.exit_code == 0, result.output
    assert {(q, s) for q, _, s in stored_rates()} >= {("CNY", "forex"), ("EUR", "forex")}


# -- rate files that lie ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, message",
    [
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        ("-1.05", "more than zero"),
        ("0", "more than zero"),
    ],
)
def test_the_ecb_import_refuses_impossible_rates(cell, message):
    parsed = ecb.parse(f"Date,USD,CNY,\n2026-03-02,{cell},7.60,\n".encode(), "eurofxref-hist.csv")
    assert any(message in problem for problem in parsed.problems), parsed.problems


@pytest.mark.parametrize("code", ["ZZZ", "<b>x</b>", "XXX", "usd; DROP TABLE"])
def test_the_ecb_import_refuses_columns_that_are_not_currencies(code):
    parsed = ecb.parse(f"Date,USD,{code},\n2026-03-02,1.05,7.60,\n".encode(), "eurofxref-hist.csv")
    assert any("not an ISO 4217 currency code" in problem for problem in parsed.problems)


def zip_bomb(unpacked_mib: int) -> bytes:
    """A real zip whose CSV unpacks to ``unpacked_mib`` MiB (of zeros, so it packs to a few hundred KB)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("eurofxref-hist.csv", "w") as handle,
    ):
        handle.write(b"Date,USD\n")
        block = b"0" * (1024 * 1024)
        for _ in range(unpacked_mib):
            handle.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, make, login):
    bomb = zip_bomb(200)
    assert len(bomb) < 1024 * 1024
    parsed = ecb.parse(bomb, "eurofxref-hist.zip")
    assert parsed.problems and "unpacks to 209,715,209 bytes" in parsed.problems[0] and not parsed.rates
    login(make.user(Role.ADMIN))
    response = client.post(
        "/rates/import", data={"kind": "ecb", "file": (io.BytesIO(bomb), "eurofxref-hist.zip")}, follow_redirects=True
    )
    assert response.status_code in (200, 422) and "far more than an ECB history" in response.get_data(as_text=True)
    pending = db.session.scalars(sa.select(RateImport)).all()
    assert all(p.errors for p in pending) and not stored_rates()


# -- an import killed half-way ----------------------------------------------------------------------

# Loads the packaged ECB history through the CLI, and kills its own process (SIGKILL: no cleanup, no
# rollback) right after the rates' bulk INSERT ran and before anything is committed.
KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from crm import create_app
    from crm.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        @event.listens_for(db.engine, "after_cursor_execute")
        def kill_after_the_insert(conn, cursor, statement, params, context, executemany):
            if statement.lstrip().upper().startswith("INSERT INTO EXCHANGE_RATES"):
                os.write(2, b"inserted, now killed")
                os.kill(os.getpid(), signal.SIGKILL)
    app.test_cli_runner().invoke(args=["rates", "import", "--source", "ecb", "--since", "2025-01-01"])
    """
)


def test_a_rate_import_killed_half_way_leaves_nothing_written(fresh_app):
    app = fresh_app("killed_import")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, url], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL and "inserted, now killed" in killed.stderr, killed.stderr
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 0
        if db.engine.dialect.name == "sqlite":
            assert db.session.scalar(sa.text("PRAGMA integrity_check")) == "ok"
        # The database is whole: the same import, run to its end, stores every rate.
        result = app.test_cli_runner().invoke(args=["rates", "import", "--source", "ecb", "--since", "2025-01-01"])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) > 1000


# -- a full disk ------------------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A real 1 MiB tmpfs (root only), filled to a few KB short of full."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs as root and must mount a small tmpfs: {done.stderr.decode()}")
        pytest.skip(f"Mounting a small tmpfs needs root: {done.stderr.decode().strip()}")
    try:
        (mount / "filler").write_bytes(b"x" * (1024 * 1024 - 64 * 1024))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_on_upload_gives_a_clear_error_and_leaves_no_file(app, make, client, login, full_disk):
    centre = make.centre()
    agreement = make.agreement(centre)
    login(make.user(Role.STAFF, [centre]))
    folder = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(full_disk)
    try:
        pdf = b"%PDF-1.4\n" + os.urandom(200 * 1024)
        response = client.post(
            f"/agreements/{agreement.id}/documents",
            data={"title": "Signed MoU", "file": (io.BytesIO(pdf), "mou.pdf")},
        )
    finally:
        app.config["UPLOAD_FOLDER"] = folder
    assert response.status_code == 422
    assert "disk is full or not writable" in response.get_data(as_text=True)
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"], "no partial file is left behind"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgreementDocument)) == 0


# -- a database that goes away ------------------------------------------------------------------------


def count_pools(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ExpertPool))


def signed_in_client(app, data_app=None):
    """A client of ``app`` signed in as a new staff member, created through ``data_app`` (default: ``app``)."""
    with (data_app or app).app_context():
        make = Factory()
        centre = make.centre()
        user = make.user(Role.STAFF, [centre])
        token = user.session_token
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
    return client


def new_pool(client, name: str):
    return client.post("/experts/pools/new", data={"name": name, "description": "Consultants for the review"})


@pytest.fixture
def postgres_behind_a_relay(fresh_app, engine_name):
    """An app whose PostgreSQL is reached through a relay the test can cut, and a direct view of its data."""
    if engine_name != "postgresql":
        pytest.skip("a network between the app and its database exists on PostgreSQL only")
    direct = fresh_app("gone_away")
    url = sa.make_url(direct.config["SQLALCHEMY_DATABASE_URI"])
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relayed_url = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    from crm import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": relayed_url, "UPLOAD_FOLDER": direct.config["UPLOAD_FOLDER"]})
    yield app, direct, relay
    relay.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def listening(app, event_name: str, listener):
    """``listener`` on ``app``'s engine for the block: the point at which the test cuts the connection."""
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, event_name, listener)
    try:
        yield
    finally:
        sa.event.remove(engine, event_name, listener)


def test_a_database_that_goes_away_gives_a_503_page_and_the_app_recovers(postgres_behind_a_relay):
    app, direct, relay = postgres_behind_a_relay
    client = signed_in_client(app, direct)
    assert new_pool(client, "Before").status_code == 302
    relay.cut()
    for response in (client.get("/experts/pools"), new_pool(client, "During")):
        assert response.status_code == 503
        assert "The database is not answering" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    assert count_pools(direct) == 1
    relay.restore()
    assert client.get("/experts/pools").status_code == 200
    assert new_pool(client, "After").status_code == 302
    assert count_pools(direct) == 2


def test_a_connection_cut_in_the_middle_of_a_save_writes_none_of_it(postgres_behind_a_relay):
    app, direct, relay = postgres_behind_a_relay
    client = signed_in_client(app, direct)

    def cut_after_the_insert(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO EXPERT_POOLS"):
            relay.cut()

    with listening(app, "after_cursor_execute", cut_after_the_insert):
        response = new_pool(client, "Half written")
    assert response.status_code == 503
    assert count_pools(direct) == 0
    with direct.app_context():
        assert not db.session.scalar(sa.text("SELECT count(*) FROM audit_entries WHERE entity = 'expert_pools'"))
    relay.restore()
    assert new_pool(client, "Whole").status_code == 302 and count_pools(direct) == 1


def test_sqlite_locked_past_the_busy_timeout_gives_a_503_and_writes_nothing(fresh_app, engine_name, monkeypatch):
    if engine_name != "sqlite":
        pytest.skip("SQLite's lock")
    monkeypatch.setattr("crm.core.sqlite.BUSY_TIMEOUT_MS", 200)
    app = fresh_app("locked")
    client = signed_in_client(app)
    with app.app_context():
        path = db.engine.url.database
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        response = new_pool(client, "While locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503 and "The database is not answering" in response.get_data(as_text=True)
    assert count_pools(app) == 0
    assert new_pool(client, "After").status_code == 302 and count_pools(app) == 1


def test_a_connection_cut_at_the_commit_gives_a_503_and_keeps_nothing(postgres_behind_a_relay):
    app, direct, relay = postgres_behind_a_relay
    client = signed_in_client(app, direct)

    def cut_before_the_commit(conn):
        relay.cut()

    with listening(app, "commit", cut_before_the_commit):
        response = new_pool(client, "Never committed")
    assert response.status_code == 503 and "The database is not answering" in response.get_data(as_text=True)
    assert count_pools(direct) == 0
    relay.restore()
    assert new_pool(client, "Whole").status_code == 302 and count_pools(direct) == 1
