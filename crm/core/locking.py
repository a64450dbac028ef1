"""Optimistic locking: an edit saved over a newer version is a conflict, never a silent overwrite.

Models mix in ``Versioned``; edit forms carry a hidden ``version`` field
(``VersionedForm``); services call ``check_version`` before applying changes.
A race between check and commit still ends in SQLAlchemy's ``StaleDataError``,
which the app shows as the same conflict page.
"""

from sqlalchemy import inspect
from wtforms import HiddenField
from wtforms.validators import InputRequired

from crm.core.values import plain


class EditConflict(Exception):
    def __init__(self, record, submitted: dict):
        super().__init__(f"{type(record).__name__} {record.id} changed since it was opened")
        self.record = record
        self.submitted = submitted

    def differences(self) -> list[tuple[str, object, object]]:
        """(field, saved value, your value) for every field where they differ."""
        rows = []
        columns = {attr.key for attr in inspect(self.record).mapper.column_attrs}
        for field, yours in self.submitted.items():
            if field in columns and field not in ("version", "id"):
                saved = plain(getattr(self.record, field))
                if plain(yours) != saved and str(yours or "") != str(saved or ""):
                    rows.append((field, saved, plain(yours)))
        return rows


class VersionMixin:
    """Add to an edit form: carries the version the form was drawn from."""

    version = HiddenField(validators=[InputRequired()])


def check_version(record, submitted_version, submitted: dict) -> None:
    try:
        version = int(submitted_version)
    except (TypeError, ValueError):
        version = -1
    if version != record.version:
        raise EditConflict(record, submitted)
