"""The create-or-update step every domain's save service ends with, and its bulk form for imports."""

import sqlalchemy as sa

from crm.audit.services import record_created
from crm.extensions import db

# What else keeps something per record besides the audit log (the search index), told of the records
# ``create_many`` writes without the flush its listeners would otherwise see: listener(model, ids).
_bulk_listeners: list = []


def on_created_in_bulk(listener):
    _bulk_listeners.append(listener)
    return listener


def create_or_update(model, record, values: dict, **on_create):
    """A new ``model`` from ``values`` (and ``on_create``) when ``record`` is None, else ``record`` updated.

    ``on_create`` holds what only a new record takes (its centre, its parent); an update ignores it.

    The caller flushes once it has finished with the record (relationships, derived columns).
    """
    if record is None:
        record = model(**on_create, **values)
        db.session.add(record)
    else:
        for key, value in values.items():
            setattr(record, key, value)
    return record


def create_many(model, rows: list[dict], members: list[dict[str, list[str]]] | None = None) -> list[int]:
    """Insert new ``model`` records from ``rows`` (values by column key, checked by the domain's rules already) in a
    few statements, with the defaults and the audit entry each that ``create_or_update`` and a flush would give
    them; their ids, in order (also set in each row). ``members`` are the labels of each record's audited
    collections' members, for the audit log (the caller writes the memberships themselves, with the ids).

    For imports of thousands of rows: no ORM object and no flush per record. The session does not hold the new
    records; a later query reads them like any other.
    """
    if not rows:
        return []
    table = model.__table__
    defaults = [
        column
        for column in table.columns
        if column.default is not None and not column.default.is_sequence and not column.primary_key
    ]
    for row in rows:
        for column in defaults:
            if column.key not in row:
                default = column.default
                row[column.key] = default.arg if default.is_scalar else default.arg(None)
    (key,) = table.primary_key.columns
    if db.session.get_bind().dialect.name == "postgresql":
        # RETURNING through many VALUES lists is slow on PostgreSQL (seconds for 10,000 rows): ids from the sequence.
        ids = db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :count)"),
            {"table": table.name, "column": key.name, "count": len(rows)},
        ).all()
        for row, record_id in zip(rows, ids, strict=True):
            row[key.key] = record_id
        db.session.execute(sa.insert(table), rows)
    else:
        ids = db.session.scalars(sa.insert(table).returning(key, sort_by_parameter_order=True), rows).all()
        for row, record_id in zip(rows, ids, strict=True):
            row[key.key] = record_id
    record_created(model, rows, members or [{} for _ in rows])
    for listener in _bulk_listeners:
        listener(model, list(ids))
    return list(ids)
