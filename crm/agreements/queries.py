"""Reads for the agreement lists and the work lists: a constant number of statements whatever the size."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from crm.agreements.models import (
    OPEN_STATUSES,
    Agreement,
    AgreementKind,
    AgreementStatus,
    AgreementStep,
    ReportArea,
    area_expression,
)
from crm.centres.models import Centre
from crm.core.due import DueItem
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span, latest_as_at
from crm.core.queries import sort_by
from crm.core.scoping import scoped
from crm.extensions import db
from crm.partners.models import Organisation, Partnership
from crm.partners.queries import Filters, next_step_pending
from crm.partners.services import fold

AGREEMENT_SORTS = {
    "title": Agreement.title,
    "kind": Agreement.kind,
    "status": Agreement.status,
    "since": Agreement.status_since_on,
    "centre": Centre.code,
    "expiry": Agreement.expiry_on,
}


def agreements(filters: Filters, user=None) -> sa.Select:
    """The list: with a period, the agreements begun by its end, each filtered by the status it had then."""
    as_at = statuses_at(filters.span)
    status = as_at.c.status
    stmt = sa.select(Agreement).join(Agreement.centre).join(as_at, as_at.c.entity_id == Agreement.id)
    stmt = scoped(stmt, Agreement.centre_id, user)
    if filters.q:
        counterpart = Agreement.counterparts.any(
            sa.or_(Organisation.match_keys.contains(fold(filters.q)), Organisation.name.ilike(f"%{filters.q}%"))
        )
        stmt = stmt.where(sa.or_(Agreement.title.ilike(f"%{filters.q}%"), counterpart))
    if filters.type in {k.value for k in AgreementKind}:
        stmt = stmt.where(Agreement.kind == AgreementKind(filters.type))
    if filters.stage == "open":
        stmt = stmt.where(status.in_(OPEN_STATUSES))
    elif filters.stage in {s.value for s in AgreementStatus}:
        stmt = stmt.where(status == AgreementStatus(filters.stage))
    if filters.centre:
        stmt = stmt.where(Centre.code == filters.centre)
    if filters.area in {a.value for a in ReportArea}:
        stmt = stmt.where(area_expression() == filters.area)
    return sort_by(stmt, filters.sort, AGREEMENT_SORTS, "title", tiebreak=(Agreement.id,))


# What needs someone's attention: one rule, with its thresholds, for the dashboards and the work lists alike.
# An open agreement with no step for this long has stalled: someone should chase it.
STALLED_AFTER_DAYS = 90
# Expiries and reviews this close (or already past) are coming up.
DUE_WITHIN_DAYS = 90
ENDED = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.ABANDONED)


def _in(stmt: sa.Select, centre_ids) -> sa.Select:
    stmt = stmt.options(joinedload(Agreement.centre))
    return stmt if centre_ids is None else stmt.where(Agreement.centre_id.in_(sorted(centre_ids)))


def awaiting_action(centre_ids) -> sa.Select:
    """Open agreements (on their way to signature), the longest waiting first."""
    stmt = sa.select(Agreement).where(Agreement.status.in_(OPEN_STATUSES))
    return _in(stmt, centre_ids).order_by(Agreement.status_since_on.is_(None), Agreement.status_since_on, Agreement.id)


def last_step_on() -> sa.ColumnElement:
    """The date of an agreement's latest step, or of its status when it has none."""
    latest = sa.select(sa.func.max(AgreementStep.occurred_on)).where(AgreementStep.agreement_id == Agreement.id)
    return sa.func.coalesce(latest.scalar_subquery(), Agreement.status_since_on)


def stalled(centre_ids, today: date) -> sa.Select:
    """Open agreements whose latest step is older than STALLED_AFTER_DAYS, the longest stalled first; each row is
    (agreement, date of its latest step)."""
    last = last_step_on().label("last_on")
    stmt = sa.select(Agreement, last).where(
        Agreement.status.in_(OPEN_STATUSES), last < today - timedelta(days=STALLED_AFTER_DAYS)
    )
    return _in(stmt, centre_ids).order_by(last, Agreement.id)


def coming_up(centre_ids, today: date, within_days: int | None = DUE_WITHIN_DAYS) -> sa.Select:
    """Agreements expiring or due for review within ``within_days`` (None: whenever), or already past either,
    soonest first."""
    soonest = sa.func.coalesce(
        sa.case((Agreement.next_review_on <= Agreement.expiry_on, Agreement.next_review_on), else_=Agreement.expiry_on),
        Agreement.next_review_on,
    )
    stmt = sa.select(Agreement).where(Agreement.status.not_in(ENDED))
    if within_days is None:
        stmt = stmt.where(sa.or_(Agreement.expiry_on.is_not(None), Agreement.next_review_on.is_not(None)))
    else:
        horizon = today + timedelta(days=within_days)
        stmt = stmt.where(sa.or_(Agreement.expiry_on <= horizon, Agreement.next_review_on <= horizon))
    return _in(stmt, centre_ids).order_by(soonest, Agreement.id)


def _item(agreement: Agreement, what: str, kind: str, due: PartialDate, detail: str) -> DueItem:
    return DueItem.of(
        agreement,
        uid=f"agreement-{what}-{agreement.id}",
        kind=kind,
        title=agreement.title,
        due=due,
        endpoint="agreements.show",
        record_args=(("agreement_id", agreement.id),),
        detail=detail,
    )


def due_items(centre_ids, today: date, *, within_days: int | None = DUE_WITHIN_DAYS, stalled_too=True) -> list[DueItem]:
    """What is due of the agreements, by the one attention rule above: key dates coming up (expiry, review) and,
    with ``stalled_too``, drafts to chase (due STALLED_AFTER_DAYS after their latest step); two queries."""
    horizon = None if within_days is None else today + timedelta(days=within_days)
    items = []
    for agreement in db.session.scalars(coming_up(centre_ids, today, within_days)).unique():
        status = agreement.status.label
        for what, kind, due in (
            ("expiry", _("Agreement expires"), agreement.expiry),
            ("review", _("Agreement review"), agreement.next_review),
        ):
            if due is not None and (horizon is None or due.start <= horizon):
                items.append(_item(agreement, what, kind, due, status))
    if stalled_too:
        for agreement, last_on in db.session.execute(stalled(centre_ids, today)).unique():
            chase_on = last_on + timedelta(days=STALLED_AFTER_DAYS)
            detail = ngettext(
                "%(status)s: no step for %(num)d day",
                "%(status)s: no step for %(num)d days",
                STALLED_AFTER_DAYS,
                status=agreement.status.label,
            )
            items.append(_item(agreement, "stalled", _("Agreement to chase"), PartialDate(chase_on), detail))
    return items


def overdue_partnerships(today: date) -> list[Partnership]:
    stmt = scoped(sa.select(Partnership), Partnership.centre_id).where(
        next_step_pending(), Partnership.next_step_on < today
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


def statuses_at(span: Span, among: sa.Select | None = None) -> sa.Subquery:
    """(entity_id, status) of every agreement begun by the span's end (of those ``among`` selects, a select of ids;
    None: all), with the status its steps give then."""
    if span.ends_on is None:
        current = sa.select(Agreement.id.label("entity_id"), Agreement.status.label("status"))
        return (current if among is None else current.where(Agreement.id.in_(among))).subquery("as_at")
    step = AgreementStep
    return latest_as_at(step.agreement_id, step.occurred_on, step.status, span, step.id, among=among)


def status_counts(centre_ids, span: Span) -> list[sa.Row]:
    """(centre_id, status, agreements) as the agreements stood at the span's end."""
    among = None if centre_ids is None else sa.select(Agreement.id).where(Agreement.centre_id.in_(sorted(centre_ids)))
    as_at = statuses_at(span, among)
    stmt = (
        sa.select(Agreement.centre_id, as_at.c.status, sa.func.count())
        .join(as_at, as_at.c.entity_id == Agreement.id)
        .group_by(Agreement.centre_id, as_at.c.status)
    )
    return [(centre_id, AgreementStatus(status), n) for centre_id, status, n in db.session.execute(stmt)]
