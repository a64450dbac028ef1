import sqlalchemy as sa
from flask import Blueprint, render_template, request

from crm.audit.display import headline, readable_all
from crm.audit.models import AuditEntry
from crm.auth.views import admin_required
from crm.centres.models import Centre
from crm.core.web import paginate
from crm.extensions import db

bp = Blueprint("audit", __name__)
# Every history page shows its entries through it, not only the audit log's own.
bp.add_app_template_filter(readable_all, "audit_rows")
bp.add_app_template_filter(headline, "audit_headline")


@bp.route("/admin/audit")
@admin_required
def index():
    """Every recorded change, newest first, filterable by kind of record, centre and person."""
    entity = request.args.get("entity", "")
    centre = request.args.get("centre", "")
    actor = request.args.get("actor", "").strip().lower()
    stmt = sa.select(AuditEntry, Centre.code).outerjoin(Centre, Centre.id == AuditEntry.centre_id)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if centre:
        stmt = stmt.where(Centre.code == centre)
    if actor:
        stmt = stmt.where(AuditEntry.actor_email.contains(actor, autoescape=True))
    page = paginate(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), scalars=False)
    entities = db.session.scalars(sa.select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)).all()
    centres = db.session.scalars(sa.select(Centre.code).order_by(Centre.code)).all()
    return render_template(
        "audit/index.html", page=page, entities=entities, centres=centres, entity=entity, centre=centre, actor=actor
    )
