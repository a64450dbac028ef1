"""Production serving: connections across forked workers, make serve's refusals, headers on pages and files."""

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from crm import create_app
from crm.auth.models import Role
from crm.extensions import db
from tests import conftest

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: pytest's own threads would make a fork inside it unsafe (and warn).
FORK_CHECK = textwrap.dedent(
    """
    import os, sys
    import sqlalchemy as sa
    from crm import create_app
    from crm.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    identity = "SELECT pg_backend_pid()" if sys.argv[1].startswith("postgresql") else "SELECT 1"
    with app.app_context():
        parent_connection = db.engine.raw_connection()
        parent_id = id(parent_connection.dbapi_connection)
        parent_backend = db.session.scalar(sa.text(identity))
        parent_connection.close()  # back into the pool, as a request leaves it
        db.session.remove()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            child_connection = db.engine.raw_connection()
            reused = id(child_connection.dbapi_connection) == parent_id
            backend = db.session.scalar(sa.text(identity))
            same_backend = sys.argv[1].startswith("postgresql") and backend == parent_backend
            os.write(write, b"reused" if reused or same_backend else b"fresh")
            os._exit(0)
        os.waitpid(pid, 0)
        print(os.read(read, 10).decode())
        # The parent's connection still works: the child did not close it.
        print(db.session.scalar(sa.text("SELECT 1")))
    """
)


def test_a_forked_worker_never_reuses_a_connection_made_before_the_fork(engine_name, tmp_path):
    # SQLite: a file of its own, since the test's open transaction holds the suite's file.
    url = conftest.test_database_url() if engine_name == "postgresql" else f"sqlite:///{tmp_path / 'fork.sqlite3'}"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", FORK_CHECK, url], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["fresh", "1"]


def make_serve(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "CRM_ENV")}
    return subprocess.run(
        ["make", "--no-print-directory", "serve"], capture_output=True, text=True, cwd=ROOT, env=clean | env, timeout=60
    )


def test_make_serve_refuses_to_start_without_a_database_url_or_a_secret():
    missing_url = make_serve({"SECRET_KEY": "x" * 64})
    assert missing_url.returncode != 0 and "DATABASE_URL" in missing_url.stderr
    sqlite = make_serve({"DATABASE_URL": "sqlite:////tmp/x.sqlite3", "SECRET_KEY": "x" * 64})
    assert sqlite.returncode != 0 and "PostgreSQL" in sqlite.stderr
    missing_secret = make_serve({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/crm"})
    assert missing_secret.returncode != 0 and "SECRET_KEY" in missing_secret.stderr


def test_signed_in_pages_and_downloads_are_not_stored_but_static_files_may_be(client, make, login):
    login(make.user(Role.COORDINATOR))
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    static.close()
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_a_form_opened_hours_ago_still_saves_its_csrf_token(make, monkeypatch):
    """The token is tied to the session, not to a clock: a report edited all afternoon is not refused."""
    guarded = create_app(
        {"WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": db.engine.url, "SERVER_NAME": "localhost"}
    )
    user = make.user(Role.STAFF, [make.centre()])
    client = guarded.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
    page = client.get("/experts/pools/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    later = time.time() + 5 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    saved = client.post("/experts/pools/new", data={"csrf_token": token, "name": "Written all afternoon"})
    assert saved.status_code == 302
    forged = client.post("/experts/pools/new", data={"csrf_token": "forged", "name": "Forged"})
    assert forged.status_code == 400 and "The form expired or did not come from this site" in forged.get_data(
        as_text=True
    )
