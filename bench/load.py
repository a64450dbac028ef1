"""``make load``: the pages served the way production serves them, under load.

Bench-scale data (bench.generate) on SQLite and PostgreSQL, gunicorn with 2 workers and the production settings
on 127.0.0.1:5117, signed in as a staff member and a coordinator, and ``wrk`` (8 connections, LOAD_SECONDS each,
30 by default) against each page; requests a second, p50, p99, errors, and each page's throughput as a ratio to
the bare endpoint's (the login page). The last two rows are driven while another centre's staff book an entry
twice a second: a centre's pages stay reused, the network's are rebuilt after each write. Then each dashboard's
first request after a write it reads, one at a time (AFTER_A_WRITE times): the median and the longest, against
``make bench``'s target. The table is printed and appended to bench/load-results.txt.
"""

import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.__main__ import build_database, git_revision
from crm.config import database_url
from crm.extensions import db

RESULTS = Path(__file__).with_name("load-results.txt")
PORT = 5117
BASE = f"http://127.0.0.1:{PORT}"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/crm_load"
SQLITE = Path(tempfile.gettempdir()) / "crm-load.sqlite3"
BARE = "/login"


# While a page marked so is driven, another centre's staff book a ledger entry this often (seconds).
WRITE_EVERY = 0.5
# The first request after a write, one at a time, this many times a page: (name, who, path, the write in the
# reader's own centre, make bench's target median in ms).
AFTER_A_WRITE = 10
FIRST_AFTER_A_WRITE = (
    ("centre dashboard", "staff", "/dashboards/centre", True, 80),
    ("network dashboard", "coordinator", "/dashboards/network", False, 150),
)


def pages() -> list[tuple[str, str, str, bool]]:
    """(name, who, path, while another centre writes): the bare endpoint first, the ratio's denominator."""
    return [
        ("bare endpoint (login page)", "", BARE, False),
        ("centre dashboard", "staff", "/dashboards/centre", False),
        ("network dashboard", "coordinator", "/dashboards/network", False),
        ("network, in EUR at monthly rates", "coordinator", "/dashboards/network?currency=EUR&rates=month", False),
        (
            "network, 2025 in CNY",
            "coordinator",
            "/dashboards/network?from=2025-01-01&to=2025-12-31&currency=CNY",
            False,
        ),
        ("list page (resources)", "coordinator", "/resources", False),
        ("list export (experts.csv)", "staff", "/exports/experts.csv", False),
        ("centre dashboard, another centre writing", "staff", "/dashboards/centre", True),
        ("network dashboard, a centre writing", "coordinator", "/dashboards/network", True),
    ]


def booker(own_centre: bool):
    """A function booking one ledger entry for the staff member's centre (``own_centre``) or for another one,
    through the app's own service (its rollups and data versions in the same transaction, as a request's would
    be). Called inside an app context."""
    from crm.auth.models import User
    from crm.centres.models import Centre
    from crm.funding.services import record_entry

    staff = db.session.scalar(sa.select(User).where(User.email.like("bench.staff%")))
    own = {c.id for c in staff.centres}
    chosen = Centre.id.in_(own) if own_centre else Centre.id.not_in(own)
    centre = db.session.scalar(sa.select(Centre.id).where(chosen).order_by(Centre.code))
    entry = {"category": "host_institution", "kind": "financial", "purpose": "core_operations"}
    entry |= {"stage": "committed", "amount": "1000", "currency": "CNY", "booked_on": date.today()}

    def book() -> None:
        record_entry(centre, dict(entry))
        db.session.commit()

    return book


@contextmanager
def another_centre_writing(app):
    """A ledger entry booked every WRITE_EVERY s for a centre the staff member is not in; yields a list that holds
    the number of writes once done."""
    stop, written = threading.Event(), []

    def write() -> None:
        with app.app_context():
            book = booker(own_centre=False)
            while not stop.wait(WRITE_EVERY):
                book()
                written.append(1)
            db.session.remove()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield written
    finally:
        stop.set()
        thread.join(timeout=30)


def after_a_write(app, path: str, cookie: str, own_centre: bool) -> list[float]:
    """Milliseconds of AFTER_A_WRITE requests to ``path``, each the first after a write its page reads (the
    reader's own centre's for a centre page, any centre's for the network's): no reused copy is usable."""
    timings = []
    with app.app_context():
        book = booker(own_centre)
        for _ in range(AFTER_A_WRITE):
            book()
            started = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(BASE + path, headers={"Cookie": cookie})) as response:
                response.read()
            timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return timings


def session_cookie(app, token: str) -> str:
    """The signed session cookie of a signed-in user, with its CSRF secret (a browser keeps the one it got)."""
    signer = app.session_interface.get_signing_serializer(app)
    value = signer.dumps({"_user_id": token, "_fresh": True, "csrf_token": secrets.token_hex(20)})
    return f"session={value}"


def serve(url: str, secret: str) -> subprocess.Popen:
    env = os.environ | {"CRM_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": secret, "PAGE_CACHE": "database"}
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{PORT}", "wsgi:app"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(BASE + BARE, timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not start: {server.communicate(timeout=30)[1][-2000:]}")


def drive(path: str, cookie: str, seconds: int) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, BASE + path], capture_output=True, text=True, timeout=seconds + 30).stdout
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": milliseconds(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": milliseconds(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": errors,
    }


def milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_engine(engine: str, url: str, seconds: int, secret: str) -> list[str]:
    print(f"{engine}: generating bench-scale data")
    app, tokens = build_database(url)
    with app.app_context():
        db.engine.dispose()  # no connection of the builder's left open while gunicorn serves
    app.secret_key = secret  # the cookies signed as gunicorn's app checks them (tests.conftest set a test secret)
    server = serve(url, secret)
    try:
        cookies = {who: session_cookie(app, token) for who, token in tokens.items()} | {"": ""}
        rows, bare = [], None
        for name, who, path, writes in pages():
            drive(path, cookies[who], 2)  # warm: the first build, the workers' imports
            with another_centre_writing(app) if writes else nullcontext([]) as written:
                result = drive(path, cookies[who], seconds)
            bare = bare or result["rps"]
            rows.append(
                f"  {engine:<10} {name:<40} {result['rps']:>8.1f} req/s  p50 {result['p50']:>7.1f} ms  "
                f"p99 {result['p99']:>7.1f} ms  errors {result['errors']:>4}  ratio {result['rps'] / bare:>5.2f}"
                + (f"  ({len(written)} writes)" if writes else "")
            )
            print(rows[-1], flush=True)
        for name, who, path, own_centre, target in FIRST_AFTER_A_WRITE:
            timings = after_a_write(app, path, cookies[who], own_centre)
            median = statistics.median(timings)
            verdict = "met" if median <= target else "MISSED"
            rows.append(
                f"  {engine:<10} {name + ', first request after a write':<52} median {median:>7.1f} ms  "
                f"max {max(timings):>7.1f} ms  ({len(timings)} writes; make bench target ≤{target} ms {verdict})"
            )
            print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    seconds = int(os.environ.get("LOAD_SECONDS", "30"))
    engines = os.environ.get("LOAD_ENGINES", "sqlite,postgresql").split(",")
    secret = secrets.token_hex(32)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"== {stamp}, commit {git_revision()}, {os.cpu_count()} CPUs, wrk 8 connections {seconds} s =="]
    for engine in engines:
        SQLITE.unlink(missing_ok=True)
        url = POSTGRES if engine == "postgresql" else f"sqlite:///{SQLITE}"
        lines += run_engine(engine, database_url(url, "/tmp"), seconds, secret)
    with RESULTS.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
