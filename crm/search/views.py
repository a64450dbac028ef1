"""GET /search: the box in the navigation, its results grouped by register."""

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from crm.centres.models import Centre
from crm.core.scoping import readable_centre_ids
from crm.core.web import as_id
from crm.extensions import db
from crm.search import queries

bp = Blueprint("search", __name__)


def centre_choices() -> list[Centre]:
    """The centres the user reads, to narrow the search to one of them."""
    if readable_centre_ids() is None:
        return db.session.scalars(sa.select(Centre).order_by(Centre.code)).all()
    return list(current_user.centres)


@bp.route("/search")
@login_required
def results():
    q = (request.args.get("q") or "").strip()[:200]
    centres = centre_choices()
    centre_id = as_id(request.args.get("centre"))
    if centre_id not in {c.id for c in centres}:
        centre_id = None
    groups = queries.search(q, current_user, centre_id)
    return render_template(
        "search/results.html",
        q=q,
        typed=queries.words(q),
        groups=groups,
        total=sum(group.total for group in groups),
        centres=centres,
        centre_id=centre_id,
    )
