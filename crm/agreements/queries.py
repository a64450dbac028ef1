"""Reads for the agreement lists and the work lists: a constant number of statements whatever the size."""

from datetime import date, timedelta

import sqlalchemy as sa

from crm.agreements.models import OPEN_STATUSES, Agreement, AgreementKind, AgreementStatus, AgreementStep
from crm.centres.models import Centre
from crm.core.queries import sort_by
from crm.core.scoping import scoped
from crm.extensions import db
from crm.partners.models import Organisation, Partnership, Stage
from crm.partners.queries import Filters
from crm.partners.services import fold

AGREEMENT_SORTS = {
    "title": Agreement.title,
    "kind": Agreement.kind,
    "status": Agreement.status,
    "since": Agreement.status_since_on,
    "centre": Centre.code,
    "expiry": Agreement.expiry_on,
}


def agreements(filters: Filters) -> sa.Select:
    stmt = scoped(sa.select(Agreement).join(Agreement.centre), Agreement.centre_id)
    if filters.q:
        counterpart = Agreement.counterparts.any(
            sa.or_(Organisation.match_keys.contains(fold(filters.q)), Organisation.name.ilike(f"%{filters.q}%"))
        )
        stmt = stmt.where(sa.or_(Agreement.title.ilike(f"%{filters.q}%"), counterpart))
    if filters.type in {k.value for k in AgreementKind}:
        stmt = stmt.where(Agreement.kind == AgreementKind(filters.type))
    if filters.stage == "open":
        stmt = stmt.where(Agreement.status.in_(OPEN_STATUSES))
    elif filters.stage in {s.value for s in AgreementStatus}:
        stmt = stmt.where(Agreement.status == AgreementStatus(filters.stage))
    if filters.centre:
        stmt = stmt.where(Centre.code == filters.centre)
    return sort_by(stmt, filters.sort, AGREEMENT_SORTS, "title", tiebreak=(Agreement.id,))


def awaiting_action() -> list[Agreement]:
    """Agreements not yet signed nor abandoned, oldest status first."""
    stmt = scoped(sa.select(Agreement), Agreement.centre_id).where(Agreement.status.in_(OPEN_STATUSES))
    return db.session.scalars(stmt.order_by(Agreement.status_since_on, Agreement.id)).all()


def stale_drafts(today: date, days: int) -> list[tuple[Agreement, date]]:
    """Open agreements whose latest step is dated more than ``days`` days ago (by its last possible day)."""
    last_step = (
        sa.select(AgreementStep.agreement_id, sa.func.max(AgreementStep.occurred_on).label("last_on"))
        .group_by(AgreementStep.agreement_id)
        .subquery()
    )
    stmt = (
        scoped(sa.select(Agreement, last_step.c.last_on), Agreement.centre_id)
        .join(last_step, last_step.c.agreement_id == Agreement.id)
        .where(Agreement.status.in_(OPEN_STATUSES), last_step.c.last_on < today - timedelta(days=days))
        .order_by(last_step.c.last_on, Agreement.id)
    )
    return db.session.execute(stmt).all()


def due_within(today: date, days: int) -> list[Agreement]:
    """Agreements expiring or due for review between today and ``days`` days from now (or already overdue)."""
    horizon = today + timedelta(days=days)
    ended = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.ABANDONED)
    stmt = scoped(sa.select(Agreement), Agreement.centre_id).where(
        Agreement.status.not_in(ended),
        sa.or_(Agreement.expiry_on <= horizon, Agreement.next_review_on <= horizon),
    )
    return db.session.scalars(
        stmt.order_by(sa.func.coalesce(Agreement.next_review_on, Agreement.expiry_on), Agreement.id)
    ).all()


def overdue_partnerships(today: date) -> list[Partnership]:
    stmt = scoped(sa.select(Partnership), Partnership.centre_id).where(
        Partnership.next_step_on < today, Partnership.stage != Stage.CLOSED
    )
    return db.session.scalars(stmt.order_by(Partnership.next_step_on, Partnership.id)).all()


def for_partnership(partnership: Partnership) -> list[Agreement]:
    """The centre's agreements that name the partner organisation as a counterpart."""
    stmt = (
        sa.select(Agreement)
        .where(Agreement.centre_id == partnership.centre_id)
        .where(Agreement.counterparts.any(Organisation.id == partnership.organisation_id))
        .order_by(Agreement.title)
    )
    return db.session.scalars(stmt).all()
