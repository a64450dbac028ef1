"""The search index: one row per record a person may look for, its names and words folded as the directory folds.

The rows are derived (``crm.search.index`` writes them in the flush that changes the record), never typed: a
record's row can always be rebuilt from the registers (``flask --app wsgi search rebuild``).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db


class SearchEntry(db.Model):
    __tablename__ = "search_entries"
    __table_args__ = (sa.UniqueConstraint("register", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The register (``crm.search.index.REGISTERS``) and the record's id in it.
    register: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[int]
    # The record a result links to when it is not the record itself (a contact: its partnership).
    link_id: Mapped[int]
    # None: network-wide (the directory); else the centre whose readers may find it.
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centres.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    # Every searched text folded (``crm.partners.services.fold``), each between bars: "|tsinghua university|清华大学|".
    terms: Mapped[str] = mapped_column(sa.Text)


# Each engine's own facility for "contains this text" searches, beside the table (``crm.search.queries`` uses it):
# SQLite's FTS5 with the trigram tokenizer (an external-content table kept by triggers), PostgreSQL's pg_trgm GIN
# index. Both find a word of three characters or more from the index; a shorter one (two Chinese characters) is
# matched by scanning, with the same result. Made with the table (create_all, the migration), never by autogenerate.
# The FTS5 table carries the register and the centre (unindexed) so that a search reads it alone, whatever the user's
# centres: SQLite then always starts from the trigram index, never from the centres' index probing it row by row.
_FTS_COLUMNS = "rowid, terms, register, centre_id"
SQLITE_FULL_TEXT = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_terms USING fts5(terms, register UNINDEXED, centre_id UNINDEXED, "
    "content='search_entries', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ai AFTER INSERT ON search_entries BEGIN "
    f"INSERT INTO search_terms({_FTS_COLUMNS}) VALUES (new.id, new.terms, new.register, new.centre_id); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ad AFTER DELETE ON search_entries BEGIN "
    f"INSERT INTO search_terms(search_terms, {_FTS_COLUMNS}) "
    "VALUES ('delete', old.id, old.terms, old.register, old.centre_id); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_au AFTER UPDATE ON search_entries BEGIN "
    f"INSERT INTO search_terms(search_terms, {_FTS_COLUMNS}) "
    "VALUES ('delete', old.id, old.terms, old.register, old.centre_id); "
    f"INSERT INTO search_terms({_FTS_COLUMNS}) VALUES (new.id, new.terms, new.register, new.centre_id); END",
)
POSTGRES_FULL_TEXT = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_terms_trgm ON search_entries USING gin (terms gin_trgm_ops)",
)
# What the schema comparison (autogenerate, tests/test_migrations.py) leaves alone: FTS5's table and its shadows.
FULL_TEXT_OBJECTS = frozenset(
    {"search_terms", *(f"search_terms_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config"))}
    | {"ix_search_entries_terms_trgm"}
)


def full_text_statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": SQLITE_FULL_TEXT, "postgresql": POSTGRES_FULL_TEXT}.get(dialect, ())


def create_full_text(conn) -> None:
    """The engine's full-text object for ``search_entries``, filled from its rows; skipped where the engine lacks it
    (PostgreSQL without the pg_trgm extension, or a role that may not create it: the search scans instead)."""
    statements = full_text_statements(conn.dialect.name)
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                for statement in statements:
                    conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            pass
        return
    for statement in statements:
        conn.exec_driver_sql(statement)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_terms(search_terms) VALUES ('rebuild')")


def drop_full_text(conn) -> None:
    if conn.dialect.name == "sqlite":
        for name in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS search_terms")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_entries_terms_trgm")


sa.event.listen(SearchEntry.__table__, "after_create", lambda table, conn, **kw: create_full_text(conn))
sa.event.listen(SearchEntry.__table__, "before_drop", lambda table, conn, **kw: drop_full_text(conn))
