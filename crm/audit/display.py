"""The audit log as a reader sees it: labels for stored codes, partial dates in words, lists joined.

The log keeps what the database held ('under_negotiation', '2025-12-01' + 'month', organisation 12);
history pages show what the forms show ('Under negotiation', 'December 2025', 'GIZ'). The records an
entry's references name are read for a whole page of entries at once: one statement per kind of record.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa

from crm.core.models import Audited, model_classes
from crm.core.partial_dates import PartialDate

# Bookkeeping columns are in the log but say nothing to a reader.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "password_changed_at"})
NOTHING = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class _Shape:
    """How one audited table's columns read: its enum columns, and its partial dates by column."""

    enums: dict[str, type]
    partial_dates: dict[str, tuple[str, str, str]]  # column key -> (date name, its _on key, its _precision key)
    references: dict[str, type]  # foreign key column -> the audited class of the record it names


@cache
def _shape(entity: str) -> _Shape:
    classes = model_classes()
    cls = next((cls for table, cls in classes.items() if table.name == entity), None)
    if cls is None:
        return _Shape({}, {}, {})
    mapper = sa.inspect(cls)
    enums = {
        attr.key: column.type.enum_class
        for attr in mapper.column_attrs
        for column in attr.columns
        if isinstance(column.type, sa.Enum) and column.type.enum_class is not None
    }
    partial_dates = {}
    for composite in mapper.composites:  # partial_date_column is the only composite
        on, precision = (prop.key for prop in composite.props)
        partial_dates[on] = partial_dates[precision] = (composite.key, on, precision)
    references = {
        attr.key: classes[key.column.table]
        for attr in mapper.column_attrs
        for column in attr.columns
        for key in column.foreign_keys
        if issubclass(classes.get(key.column.table, object), Audited)
    }
    return _Shape(enums, partial_dates, references)


def _value(value, enum=None) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if enum is not None:
        try:
            member = enum(value)
        except ValueError:  # a value since removed from the enum: show it as stored
            return str(value)
        return getattr(member, "label", str(value))
    return str(value)


def _partial_date(on, precision) -> str:
    if on is None:
        return NOTHING
    return str(PartialDate(date.fromisoformat(on), precision or "day"))


def _field(key: str) -> str:
    return key.removesuffix("_id").replace("_", " ")


def _labels(entries) -> dict[type, dict[int, str]]:
    """The labels of every record the entries' references name, read with one statement per class."""
    from crm.extensions import db

    wanted = defaultdict(set)
    for entry in entries:
        references = _shape(entry.entity).references
        for key, pair in (entry.changes or {}).items():
            if key in references:
                wanted[references[key]].update(value for value in pair if isinstance(value, int))
    return {
        cls: {record.id: record.audit_label() for record in db.session.scalars(sa.select(cls).where(cls.id.in_(ids)))}
        for cls, ids in wanted.items()
        if ids
    }


def _reference(value, labels: dict[int, str]) -> str:
    if value is None:
        return NOTHING
    return labels.get(value) or f"#{value}, since deleted"


def _rows(entry, labels: dict[type, dict[int, str]]) -> list[Change]:
    shape = _shape(entry.entity)
    changes = entry.changes or {}
    rows, done = [], set()
    for key, (before, after) in changes.items():
        if key in BOOKKEEPING or key in done:
            continue
        name, on, precision = shape.partial_dates.get(key, (None, None, None))
        # Entries written before both halves were kept show each half as stored.
        if on in changes and precision in changes:
            done.update((on, precision))
            (on_before, on_after), (precision_before, precision_after) = changes[on], changes[precision]
            rows.append(
                Change(
                    name.replace("_", " "),
                    _partial_date(on_before, precision_before),
                    _partial_date(on_after, precision_after),
                )
            )
        elif key in shape.references:
            named = labels.get(shape.references[key], {})
            rows.append(Change(_field(key), _reference(before, named), _reference(after, named)))
        else:
            enum = shape.enums.get(key)
            rows.append(Change(key.replace("_", " "), _value(before, enum), _value(after, enum)))
    return rows


def readable_all(entries) -> dict[int, list[Change]]:
    """Each entry's changes as rows a reader understands (by entry id), bookkeeping left out, in the order
    recorded; the same number of statements however many entries there are."""
    entries = list(entries)
    labels = _labels(entries)
    return {entry.id: _rows(entry, labels) for entry in entries}


def readable(entry) -> list[Change]:
    return readable_all([entry])[entry.id]
