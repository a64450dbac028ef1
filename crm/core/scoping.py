"""Centre scoping that no view can forget.

Every read of a centre's records goes through ``scoped`` (lists) or
``get_or_404`` (one record). Staff reach their own centres only: another
centre's record is a 404, as if it did not exist. Coordinators and admins read
every centre; only staff members of a centre write to it (a 403 otherwise).
"""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from crm.extensions import db


def readable_centre_ids(user=None) -> set[int] | None:
    """The centres ``user`` may read, or None for all of them."""
    user = user or current_user
    return None if user.reads_all_centres else user.member_centre_ids


def scoped(stmt: sa.Select, centre_column, user=None) -> sa.Select:
    """Restrict ``stmt`` to the centres the user may read."""
    centre_ids = readable_centre_ids(user)
    if centre_ids is None:
        return stmt
    return stmt.where(centre_column.in_(centre_ids))


def check_centre(centre_id: int, *, write: bool = False, user=None) -> None:
    user = user or current_user
    if not user.can_read(centre_id):
        abort(404)
    if write and not user.can_write(centre_id):
        abort(403)


def get_or_404(model, record_id, *, write: bool = False, centre_of=None):
    """Load one record of a centre, or 404/403 by the rules above.

    ``centre_of`` finds the centre id of records that reach it through a parent
    (a contact through its partnership); it defaults to ``record.centre_id``.
    """
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    centre_id = centre_of(record) if centre_of else record.centre_id
    check_centre(centre_id, write=write)
    return record


def writable_centres(user=None):
    """The centres whose records ``user`` may write, for form choices."""
    user = user or current_user
    return list(user.centres) if user.role == "staff" else []
