"""SQLite as a proper embedded engine: WAL, a busy timeout, foreign keys, real transactions, exact big sums.

Several gunicorn workers share one SQLite file. WAL lets readers run beside the one writer,
but a transaction begun deferred that reads and then writes must upgrade its lock, and
SQLite refuses the upgrade at once ("database is locked", whatever the busy timeout) when
another writer got there first. So a transaction that may write takes the write lock up
front (``BEGIN IMMEDIATE``), where the busy timeout makes it wait its turn: every write
request (anything but GET, HEAD, OPTIONS: saves, deletes, and the login, which writes its
throttle rows), and any work outside a request (CLI commands, seeds). Page reads begin
deferred and never wait for a writer.
"""

from flask import has_request_context, request
from sqlalchemy import event

# Long enough for a queue of writers (a save takes tens of milliseconds), well within gunicorn's 30 s timeout.
BUSY_TIMEOUT_MS = 10_000
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


def may_write() -> bool:
    """Whether the transaction about to begin may write: a write request, or work outside any request."""
    return not has_request_context() or request.method not in READ_ONLY_METHODS


INT64 = range(-(2**63), 2**63)


def _as_int(value) -> int:
    return value if value.__class__ is int else int(value)


def _exact(total: int) -> int | str:
    """An exact integer as SQLite can hold it: an INTEGER when it fits 64 bits, else its text."""
    return total if total in INT64 else str(total)


class ExactSumAggregate:
    """SUM over scaled integers (INTEGER or the text of a larger one) with Python's integers: never overflows."""

    def __init__(self):
        self.total = None

    def step(self, value):
        if value is not None:
            self.total = _as_int(value) if self.total is None else self.total + _as_int(value)

    def finalize(self):
        return None if self.total is None else _exact(self.total)


def exact_join(high, low, big):
    """An ``exact_sum`` from its parts (``crm.core.types``): the SQLite sums of the high and low 32 bits of the
    values that fit 63 bits, and the Python aggregate of the others; NULL when there was nothing to sum."""
    if high is None and big is None:
        return None
    total = 0 if high is None else (high << 32) + low
    if big is not None:
        total += _as_int(big)
    return _exact(total)


def exact_add(a, b):
    """a + b for ``ExactSum`` columns (a rollup's running sums); NULL + x is x, as the rollup's SUM rules want."""
    if a is None:
        return None if b is None else str(_as_int(b))
    if b is None:
        return str(_as_int(a))
    return str(_as_int(a) + _as_int(b))


def configure_sqlite(engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy emit BEGIN itself, so that savepoints and rollbacks behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_aggregate("exact_sum", 1, ExactSumAggregate)
        dbapi_connection.create_function("exact_add", 2, exact_add, deterministic=True)
        dbapi_connection.create_function("exact_join", 3, exact_join, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if may_write() else "BEGIN")
