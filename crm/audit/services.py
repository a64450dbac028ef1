"""The audit log: every create, update and delete of an ``Audited`` model, written in the same flush.

Rows are inserted through the flushing connection (not ``session.add``), so the
entry commits or rolls back together with the change it records.
"""

import contextvars
from contextlib import contextmanager
from functools import partial
from types import SimpleNamespace

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.core.models import Audited, utcnow
from crm.core.values import plain

_cli_actor = contextvars.ContextVar("audit_cli_actor", default=None)


@contextmanager
def acting_as(user):
    """Attribute changes made outside a request (CLI, seeds) to ``user``."""
    token = _cli_actor.set(user)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    user = _cli_actor.get()
    if user is not None:
        return user.id, user.email
    return None, "system"


def _columns(obj):
    return [c for c in inspect(obj).mapper.column_attrs if c.key not in obj.audit_exclude]


def _members(obj, key: str) -> tuple[list[str], list[str]]:
    """A collection's member labels before and after this flush, read from its history (never loaded)."""
    history = inspect(obj).attrs[key].history

    def labels(members):
        return sorted(member.audit_label() for member in members)

    return labels((*history.unchanged, *history.deleted)), labels((*history.unchanged, *history.added))


def _snapshot(obj) -> dict:
    values = {attr.key: [None, plain(getattr(obj, attr.key))] for attr in _columns(obj)}
    values.update({key: [None, _members(obj, key)[1]] for key in obj.audit_collections})
    return values


def _changes(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in _columns(obj):
        if attr.key in ("version", "updated_at"):
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if plain(before) != plain(after):
            changes[attr.key] = [plain(before), plain(after)]
    for key in obj.audit_collections:
        before, after = _members(obj, key)
        if before != after:
            changes[key] = [before, after]
    _keep_both_halves(obj, changes)
    return changes


def _keep_both_halves(obj, changes: dict) -> None:
    """A partial date is two columns: when one changes, keep the other too, so the entry reads as one date."""
    for composite in inspect(obj).mapper.composites:
        halves = [prop.key for prop in composite.props]
        if any(key in changes for key in halves):
            for key in halves:
                changes.setdefault(key, [plain(getattr(obj, key))] * 2)


def _centre_id(obj, action: str):
    from crm.centres.models import Centre

    if isinstance(obj, Centre):
        # A deleted centre cannot be referred to; its entry keeps the code in its label.
        return None if action == "delete" else obj.id
    return getattr(obj, "centre_id", None)


@event.listens_for(Audited, "before_mapper_configured", propagate=True)
def _keep_old_values(mapper, cls):
    """Load a column's old value before it is overwritten, even when the record was expired by a commit."""
    for prop in mapper.column_attrs:
        prop.active_history = True


def english_label(label) -> str:
    """A record's label as the log keeps it: in English whoever writes (a kind or a status named in it too), so that
    ``crm.audit.display.shown_label`` can word it in each reader's language."""
    with force_locale("en"):
        return str(label())


@event.listens_for(Session, "after_flush")
def _record(session, flush_context):
    actor_id, actor_email = _actor()
    rows = []

    def add(obj, action, changes):
        rows.append(
            {
                "at": utcnow(),
                "actor_id": actor_id,
                "actor_email": actor_email,
                "centre_id": _centre_id(obj, action),
                "action": action,
                "entity": obj.__tablename__,
                "entity_id": obj.id,
                "label": english_label(obj.audit_label)[:300],
                "changes": changes,
            }
        )

    for obj in session.new:
        if isinstance(obj, Audited):
            add(obj, "create", _snapshot(obj))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            changes = _changes(obj)
            if changes:
                add(obj, "update", changes)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            add(obj, "delete", {k: [after, None] for k, (_, after) in _snapshot(obj).items()})
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)


def record_created(model, rows: list[dict], members: list[dict[str, list[str]]]) -> None:
    """The audit entries of ``model`` records inserted in bulk (``crm.core.records.create_many``): one each, as a
    flush of the same records would write it, in the same transaction. ``rows`` hold every column by its key
    (defaults filled, ids set); ``members``, the labels of each record's audited collections' members. The label
    is the model's ``audit_label`` read from the record's own columns."""
    from crm.extensions import db

    actor_id, actor_email = _actor()
    at = utcnow()
    attrs = [attr for attr in inspect(model).column_attrs if attr.key not in model.audit_exclude]
    entries = []
    for row, collections in zip(rows, members, strict=True):
        values = {attr.key: row[attr.columns[0].key] for attr in attrs}
        changes = {key: [None, plain(value)] for key, value in values.items()}
        changes.update({key: [None, sorted(collections.get(key, []))] for key in model.audit_collections})
        entries.append(
            {
                "at": at,
                "actor_id": actor_id,
                "actor_email": actor_email,
                "centre_id": row.get("centre_id"),
                "action": "create",
                "entity": model.__tablename__,
                "entity_id": row["id"],
                "label": english_label(partial(model.audit_label, SimpleNamespace(**values)))[:300],
                "changes": changes,
            }
        )
    if entries:
        db.session.execute(sa.insert(AuditEntry.__table__), entries)


def history(entity: str, entity_id: int) -> list[AuditEntry]:
    from crm.extensions import db

    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()


def history_for(obj) -> list[AuditEntry]:
    return history(obj.__tablename__, obj.id)
