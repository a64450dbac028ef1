"""Data versions: a counter per centre and for the network, bumped by every write in the write's own transaction.

Whatever is reused between requests (crm.core.cache) is keyed by the versions of the data it was built from, so a
write makes every earlier copy unreachable on every worker and host at the moment it commits: never stale.

Keys: ``centre:<id>`` for a record of one centre; ``shared`` for a record of no centre (rates, centres, users...)
and for a write run as a statement (but to the tables ``unversioned`` names), which every centre's pages read;
``network`` for every write (the network's pages read all of it). Writes on a connection outside the session
are not seen: the app makes none to its data.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm.extensions import db

NETWORK = "network"
SHARED = "shared"
_PENDING = "data_versions_pending"
_UNVERSIONED: set[str] = set()


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def centre_key(centre_id: int) -> str:
    return f"centre:{centre_id}"


def keys_of(record) -> set[str]:
    """The versions a write of ``record`` changes: its centre's (or the shared one), and the network's."""
    if record.__table__.name in _UNVERSIONED:
        return set()
    centre_id = getattr(record, "centre_id", None)
    return {NETWORK, centre_key(centre_id) if isinstance(centre_id, int) else SHARED}


def read(keys: list[str]) -> dict[str, int]:
    """The current versions of ``keys`` (0 for one never bumped)."""
    rows = db.session.execute(sa.select(DataVersion.key, DataVersion.version).where(DataVersion.key.in_(keys)))
    found = dict(rows.all())
    return {key: found.get(key, 0) for key in keys}


@event.listens_for(Session, "before_flush")
def _note_writes(session, flush_context, instances) -> None:
    pending = session.info.setdefault(_PENDING, set())
    changed = [*session.new, *session.deleted, *(r for r in session.dirty if session.is_modified(r))]
    for record in changed:
        pending |= keys_of(record)


def unversioned(*tables: sa.Table) -> None:
    """Tables whose writes change no page's data: derived from records whose own writes bump their
    versions (the ledger rollups), or bookkeeping no reused page shows (login attempts). Each domain names its own."""
    _UNVERSIONED.update(table.name for table in tables)


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state) -> None:
    """An INSERT, UPDATE or DELETE run as a statement (bulk writes) names no record's centre: it changes the
    shared version, which every page reads."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is None or table.name not in _UNVERSIONED:
            state.session.info.setdefault(_PENDING, set()).update({NETWORK, SHARED})


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    """One upsert per key this transaction wrote, inside it: the bump commits or rolls back with the data."""
    session.flush()  # the last changes reach before_flush first
    pending = session.info.pop(_PENDING, set())
    if not pending:
        return
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = DataVersion.__table__
    for key in sorted(pending):  # one order for every writer: no deadlock between two transactions' bumps
        upsert = dialect.insert(table).values(key=key, version=1)
        connection.execute(upsert.on_conflict_do_update(index_elements=["key"], set_={"version": table.c.version + 1}))


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_PENDING, None)
