"""``make bench``: generate the network at scale on SQLite and PostgreSQL and time the pages.

    .venv/bin/python -m bench                                   # both engines, 30 requests per page
    .venv/bin/python -m bench --engines sqlite --requests 10
    .venv/bin/python -m bench --postgres postgresql://postgres@127.0.0.1:5432/crm_bench

For each engine: a fresh database (the SQLite file under /tmp, the PostgreSQL database
named by --postgres, dropped and recreated), ``bench.generate`` at full scale (20 centres,
10,000 organisations, 20,000 proposals, 100,000 ledger entries in 12 currencies over two
years, 5,000 experts), then for every page: the median and p95 server time over N requests
through the Flask test client, its SQL statement count, the time its SQL took (the bare
statements, timed at the cursor), and the ratio page ÷ SQL. Targets: network dashboard
≤ 150 ms, centre dashboard ≤ 80 ms, list pages ≤ 50 ms, the search page ≤ 100 ms (medians).

Then the money engineer's ``bench.conversion`` and the report engineer's ``bench.report``
run too, and ``bench.interchange`` (spreadsheets: importing 10,000 experts, exporting 100,000 ledger
entries; alone with ``python -m bench interchange``). Every run is appended to bench/results.txt, so
later runs can be compared.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

RESULTS = Path(__file__).resolve().parent / "results.txt"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/crm_bench"
# (name, endpoint, query args, who, target median in ms)
PAGES = (
    ("network dashboard", "dashboards.network", {}, "coordinator", 150),
    ("centre dashboard", "dashboards.centre", {"centre": "B-01"}, "staff", 80),
    ("partnerships list", "partners.partnerships", {}, "coordinator", 50),
    ("organisations list", "partners.organisations", {}, "coordinator", 50),
    ("agreements list", "agreements.index", {}, "coordinator", 50),
    ("proposals list", "proposals.index", {}, "coordinator", 50),
    ("resources list", "funding.index", {}, "coordinator", 50),
    ("experts list", "experts.index", {}, "coordinator", 50),
    # The search box: a name (as a person looks one up), and a word every generated organisation's name holds.
    ("search: name", "search.results", {"q": "Organisation 4321"}, "coordinator", 100),
    ("search: name, staff", "search.results", {"q": "Organisation 4321"}, "staff", 100),
    ("search: common word", "search.results", {"q": "organisation"}, "coordinator", 100),
)


@contextmanager
def sql_timer(engine):
    """Record (seconds) of every statement executed on ``engine`` while inside."""
    timings: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings.append(time.perf_counter() - context._bench_started)

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield timings
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build_database(url: str):
    """A fresh database at ``url`` with the network at full scale and two users; returns (app, users)."""
    from bench.generate import Scale, generate
    from crm import create_app
    from crm.auth.models import Role, User
    from crm.centres.models import Centre
    from crm.extensions import db
    from tests.conftest import ensure_database

    ensure_database(url)
    # No page cache: every timed request builds its page, as the first one after a write does (make load times reuse).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAGE_CACHE": "none"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        generated = generate(Scale())
        first = db.session.scalar(sa.select(Centre).where(Centre.code == generated.centre_codes[0]))
        users = {
            "coordinator": User(email="bench.coordinator@example.org", name="Coordinator", role=Role.COORDINATOR),
            "staff": User(email="bench.staff@example.org", name="Staff", role=Role.STAFF, centres=[first]),
        }
        for user in users.values():
            user.password_hash = "unusable"
            db.session.add(user)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                # The bulk load's dirty pages written now, not by the background writer while pages are timed.
                conn.exec_driver_sql("CHECKPOINT")
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        print(f"  generated {generated.counts} in {time.perf_counter() - started:.1f} s")
        tokens = {who: user.session_token for who, user in users.items()}
    return app, tokens


def time_page(app, token: str, url: str, requests: int) -> dict:
    from crm.extensions import db

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
    with app.app_context():
        engine = db.engine
    for _ in range(5):  # warm-up: templates compiled, caches of the database and of the process filled
        response = client.get(url)
        if response.status_code != 200:
            return {"status": response.status_code}
    pages, sqls, counts = [], [], []
    for _ in range(requests):
        with sql_timer(engine) as timings:
            started = time.perf_counter()
            client.get(url)
            pages.append(time.perf_counter() - started)
        sqls.append(sum(timings))
        counts.append(len(timings))
    median_page, median_sql = statistics.median(pages), statistics.median(sqls)
    return {
        "status": 200,
        "median_ms": median_page * 1000,
        "p95_ms": p95(pages) * 1000,
        "sql_ms": median_sql * 1000,
        "ratio": median_page / median_sql if median_sql else float("nan"),
        "statements": sorted(set(counts)),
    }


def bench_engine(label: str, url: str, requests: int) -> list[str]:
    from flask import url_for

    print(f"{label}: building {url}")
    app, tokens = build_database(url)
    lines = [
        f"{label} ({url.split('@')[-1]}), {requests} requests per page",
        f"  {'page':<20} {'median':>9} {'p95':>9} {'SQL':>9} {'page/SQL':>9} {'statements':>11}  target",
    ]
    for name, endpoint, args, who, target in PAGES:
        if endpoint not in app.view_functions:
            lines.append(f"  {name:<20} not built yet ({endpoint})")
            continue
        with app.test_request_context():
            path = url_for(endpoint, **args)
        figures = time_page(app, tokens[who], path, requests)
        if figures["status"] != 200:
            lines.append(f"  {name:<20} HTTP {figures['status']} on {path}")
            continue
        verdict = "met" if figures["median_ms"] <= target else "MISSED"
        lines.append(
            f"  {name:<20} {figures['median_ms']:7.1f}ms {figures['p95_ms']:7.1f}ms {figures['sql_ms']:7.1f}ms"
            f" {figures['ratio']:9.2f} {'/'.join(map(str, figures['statements'])):>11}  ≤{target} ms {verdict}"
        )
        print(lines[-1])
    return lines


def others(url: str) -> list[str]:
    """The money and report engineers' benchmarks, when present."""
    lines = []
    try:
        from bench import conversion
    except ImportError:
        conversion = None
    if conversion is not None:
        figures = conversion.run(url)
        lines.append(f"  bench.conversion: {figures}")
    try:
        from bench import report
    except ImportError:
        report = None
    if report is not None and url.startswith("sqlite"):
        lines.append(f"  bench.report: {report.run()}")
    return lines


def interchange_default() -> str:
    from bench.interchange import DEFAULT_POSTGRES

    return DEFAULT_POSTGRES


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", choices=("all", "interchange"), default="all")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "crm-bench-dash.sqlite3"))
    parser.add_argument(
        "--skip-others", action="store_true", help="do not run bench.conversion, bench.report and bench.interchange"
    )
    parser.add_argument(
        "--interchange-postgres", default=os.environ.get("BENCH_INTERCHANGE_DATABASE_URL", interchange_default())
    )
    parser.add_argument("--interchange-sqlite", default=os.environ.get("BENCH_INTERCHANGE_SQLITE", ""))
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    os.environ.setdefault("CRM_ENV", "test")

    from bench import interchange
    from crm.config import database_url

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"== {stamp}, commit {git_revision()}, {os.cpu_count()} CPUs =="]
    if args.part == "all":
        for engine in args.engines.split(","):
            url = database_url(args.postgres if engine == "postgresql" else f"sqlite:///{args.sqlite}", "/tmp")
            lines += bench_engine(engine, url, args.requests)
            if not args.skip_others:
                lines += others(url)
    if args.part == "interchange" or not args.skip_others:
        sqlite = args.interchange_sqlite or interchange.DEFAULT_SQLITE
        lines += interchange.engines(args.engines, args.interchange_postgres, sqlite)
    with RESULTS.open("a") as handle:
        handle.write("\n".join(lines) + "\n\n")
    print("\n".join(lines))
    print(f"Appended to {RESULTS}")


if __name__ == "__main__":
    main()
