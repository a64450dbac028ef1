"""Concurrent writers through the real server: gunicorn, 2 worker processes of 4 threads, on SQLite and PostgreSQL.

Each writer is a thread with its own HTTP session; each worker has its own database connections.
Asserted: no request answers 5xx, no insert is lost, and of writers saving the same version of a
record exactly one wins each round while every other gets the 409 conflict page.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.experts.models import ExpertPool
from crm.extensions import db
from crm.partners.models import Interaction
from tests.factories import Factory

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 8
ROUNDS = 5
PASSWORD = "concurrent writers passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(fresh_app, tmp_path):
    """The app on a database of its own, its records made, served by gunicorn as ``make run`` serves it."""
    app = fresh_app("concurrency")
    with app.app_context():
        make = Factory()
        centre = make.centre()
        writers = [make.user(Role.STAFF, [centre], password=PASSWORD) for _ in range(WRITERS)]
        partnership = make.partnership(centre)
        pool = make.expert_pool(centre)
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": user.session_token, "_fresh": True}) for user in writers]
        world = {
            "emails": [user.email for user in writers],
            "cookies": cookies,
            "partnership_id": partnership.id,
            "pool_id": pool.id,
        }
    port = free_port()
    env = os.environ | {
        "CRM_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "CRM_INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*gunicorn, "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        yield app, base, world
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0].decode(errors="replace")
        assert "Traceback" not in log, log[-4000:]


def wait_until_serving(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.stdout.read().decode(errors="replace"))
        try:
            # The socket listens before the workers have booted: a request waits in its queue meanwhile.
            if requests.get(f"{base}/login", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start within 60 s")


def session_for(cookie: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("session", cookie, domain="127.0.0.1", path="/")
    return session


def all_at_once(work, count: int = WRITERS) -> list:
    """Run ``work(i, barrier)`` in ``count`` threads; the barrier lets them line up before the racing request."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            results[i] = work(i, barrier)
        except Exception as error:  # a failure in a thread must fail the test, not vanish
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def test_concurrent_writers_lose_nothing_and_every_losing_edit_gets_the_conflict_page(served):
    app, base, world = served
    sessions = [session_for(cookie) for cookie in world["cookies"]]
    statuses: Counter = Counter()

    # Inserts: every writer logs ROUNDS interactions on the same partnership at the same moments.
    def log_interactions(i, barrier):
        codes = []
        for round_no in range(ROUNDS):
            barrier.wait()
            response = sessions[i].post(
                f"{base}/partnerships/{world['partnership_id']}/interactions",
                data={"occurred_on": "2026-03-02", "kind": "call", "summary": f"writer {i} round {round_no}"},
                allow_redirects=False,
                timeout=60,
            )
            codes.append(response.status_code)
        return codes

    for codes in all_at_once(log_interactions):
        statuses.update(codes)

    # Edits: every writer opens the same version of the pool, then all save at once.
    winners = []
    for round_no in range(ROUNDS):

        def edit(i, barrier, round_no=round_no):
            page = sessions[i].get(f"{base}/experts/pools/{world['pool_id']}/edit", timeout=60)
            version = re.search(r'name="version" type="hidden" value="(\d+)"', page.text).group(1)
            barrier.wait()
            name = f"Pool round {round_no} writer {i}"
            response = sessions[i].post(
                f"{base}/experts/pools/{world['pool_id']}/edit",
                data={"name": name, "description": "", "version": version},
                allow_redirects=False,
                timeout=60,
            )
            return name, response.status_code, response.text

        results = all_at_once(edit)
        codes = [code for _, code, _ in results]
        statuses.update(codes)
        assert codes.count(302) == 1, f"round {round_no}: {codes}"
        assert codes.count(409) == WRITERS - 1, f"round {round_no}: {codes}"
        assert all("Edit conflict" in text for _, code, text in results if code == 409)
        winners.append(next(name for name, code, _ in results if code == 302))

    # Sign-ins while others write: the login writes too (it rotates the session token).
    def sign_in_or_write(i, barrier):
        barrier.wait()
        if i % 2:
            response = requests.post(
                f"{base}/login", data={"email": world["emails"][i], "password": PASSWORD}, allow_redirects=False
            )
        else:
            response = sessions[i].post(
                f"{base}/partnerships/{world['partnership_id']}/interactions",
                data={"occurred_on": "2026-03-03", "kind": "email", "summary": f"writer {i} during logins"},
                allow_redirects=False,
                timeout=60,
            )
        return response.status_code

    statuses.update(all_at_once(sign_in_or_write))

    assert not [code for code in statuses if code >= 500], statuses
    with app.app_context():
        logged = db.session.scalar(
            sa.select(sa.func.count()).where(Interaction.partnership_id == world["partnership_id"])
        )
        assert logged == WRITERS * ROUNDS + WRITERS // 2, "no insert is lost"
        pool = db.session.get(ExpertPool, world["pool_id"])
        assert pool.name == winners[-1] and pool.version == 1 + ROUNDS, "every round has one winner, kept"
        saves = db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.entity == ExpertPool.__tablename__,
                AuditEntry.entity_id == pool.id,
                AuditEntry.action == "update",
            )
        )
        assert saves == ROUNDS
    assert statuses[302] == WRITERS * ROUNDS + ROUNDS + WRITERS and statuses[409] == ROUNDS * (WRITERS - 1)
