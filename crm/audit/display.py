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

    @property
    def sentence(self) -> str:
        """The change as a reader says it: "Award set to CNY 300,000.00", "Stage changed from Contacted to Active"."""
        name = self.field[:1].upper() + self.field[1:]
        if self.before == NOTHING:
            return f"{name} set to {self.after}"
        if self.after == NOTHING:
            return f"{name} cleared (was {self.before})"
        return f"{name} changed from {self.before} to {self.after}"


# What each audited table's records are called in a sentence; others read as their table's name, singular.
NOUNS = {
    "agreement_steps": "status step",
    "agreement_documents": "agreement document",
    "ledger_entries": "resource",
    "tranches": "receipt",
    "proposal_status_changes": "proposal status",
    "proposal_partners": "proposal partner",
    "expert_pools": "expert pool",
    "expert_engagements": "expert's engagement",
    "funding_mechanisms": "funding mechanism",
    "funding_needs": "funding need",
    "organisation_types": "organisation type",
    "strategy_sources": "source of the strategy",
    "strategy_steps": "step of the strategy",
    "mobilisation_strategies": "resource mobilisation strategy",
}
# Column names a form calls otherwise.
FIELDS = {
    "awarded_amount": "award",
    "requested_amount": "amount requested",
    "day_rate": "day rate",
    "kmgbf_targets": "KMGBF targets",
    "merged_into": "merged into",
    "source": "source",
    "funder": "funder",
}


def noun(entity: str) -> str:
    return NOUNS.get(entity) or entity.replace("_", " ").removesuffix("s")


def headline(entry) -> str:
    """What happened, in the record's own terms: "Tsinghua University added to the directory", "Changed the
    partnership Tsinghua University", "Removed the status step Signed (May 2027)"."""
    label = entry.label
    if entry.entity == "organisations" and entry.action == "create":
        return f"{label} added to the directory"
    if entry.entity == "experts":
        where = {"create": "Added {} to the roster", "update": "Changed {}", "delete": "Removed {} from the roster"}
        return where[entry.action].format(label)
    verb = {"create": "Added", "update": "Changed", "delete": "Removed"}[entry.action]
    return f"{verb} the {noun(entry.entity)} {label}"


def _currency_key(key: str) -> str | None:
    """The currency column of an amount column: amount → currency, awarded_amount → awarded_currency, day_rate →
    day_rate_currency."""
    if key == "amount":
        return "currency"
    if key.endswith("_amount"):
        return key.removesuffix("_amount") + "_currency"
    if key == "day_rate":
        return "day_rate_currency"
    return None


@dataclass(frozen=True)
class _Shape:
    """How one audited table's columns read: its enum columns, and its partial dates by column."""

    enums: dict[str, type]
    partial_dates: dict[str, tuple[str, str, str]]  # column key -> (date name, its _on key, its _precision key)
    references: dict[str, type]  # foreign key column -> the audited class of the record it names
    columns: frozenset = frozenset()


@cache
def _shape(entity: str) -> _Shape:
    classes = model_classes()
    cls = next((cls for table, cls in classes.items() if table.name == entity), None)
    if cls is None:
        return _Shape({}, {}, {}, frozenset())
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
    return _Shape(enums, partial_dates, references, frozenset(attr.key for attr in mapper.column_attrs))


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
    key = key.removesuffix("_id")
    return FIELDS.get(key) or key.replace("_", " ")


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


def _money(amount, currency) -> str:
    """An amount as the display layer shows money (``crm.money.display``), one format on every page."""
    from decimal import Decimal, InvalidOperation

    from crm.money.display import format_money

    if amount is None or amount == "":
        return NOTHING
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_money(number, currency) if currency else str(number)


def _rows(entry, labels: dict[type, dict[int, str]], currencies: dict | None = None) -> list[Change]:
    shape = _shape(entry.entity)
    changes = entry.changes or {}
    rows = []
    # A currency reads with its amount ("CNY 300,000.00"), never as a row of its own.
    done = {_currency_key(key) for key in changes if _currency_key(key) in shape.columns}
    for key, (before, after) in changes.items():
        if key in BOOKKEEPING or key in done:
            continue
        currency_key = _currency_key(key)
        if currency_key and currency_key in shape.columns:
            record = (entry.entity, getattr(entry, "entity_id", None))
            current = (currencies or {}).get(record, {}).get(currency_key)
            before_currency, after_currency = changes.get(currency_key, [current, current])
            rows.append(Change(_field(key), _money(before, before_currency), _money(after, after_currency)))
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
    currencies = _currencies(entries)
    return {entry.id: _rows(entry, labels, currencies) for entry in entries}


def _currencies(entries) -> dict[tuple[str, int], dict[str, str]]:
    """For entries that changed an amount but not its currency: the record's currency now (one statement per kind
    of record), so that the amount still reads as money."""
    from crm.extensions import db

    wanted = defaultdict(set)
    for entry in entries:
        changes = entry.changes or {}
        for key in changes:
            currency_key = _currency_key(key)
            record_id = getattr(entry, "entity_id", None)  # an expert's history shown without personal data has none
            if (
                currency_key
                and currency_key not in changes
                and currency_key in _shape(entry.entity).columns
                and record_id
            ):
                wanted[entry.entity].add(record_id)
    found = {}
    classes = {table.name: cls for table, cls in model_classes().items()}
    for entity, ids in wanted.items():
        cls = classes[entity]
        keys = [key for key in _shape(entity).columns if key.endswith("currency")]
        for row in db.session.execute(sa.select(cls.id, *(getattr(cls, key) for key in keys)).where(cls.id.in_(ids))):
            found[(entity, row[0])] = dict(zip(keys, row[1:], strict=True))
    return found


def readable(entry) -> list[Change]:
    return readable_all([entry])[entry.id]
