"""The create-or-update step every domain's save service ends with."""

from crm.extensions import db


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
