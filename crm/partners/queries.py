"""Reads for the list pages: one query for the page plus one count, whatever the filters and the size."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.centres.models import Centre
from crm.core.due import DueItem, dated_until
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span
from crm.core.queries import sort_by
from crm.core.scoping import scoped
from crm.core.web import as_id
from crm.partners.models import (
    ENGAGED_STAGES,
    Contact,
    Organisation,
    OrganisationType,
    Partnership,
    PartnershipRole,
    Stage,
)
from crm.partners.services import fold


def developed() -> sa.ColumnElement:
    """The report's partners developed: engaged (past "identified", not closed) and partners of the centre, not
    its convention body or host institution. The list filtered stage=engaged&role=partner shows the same."""
    return sa.and_(Partnership.stage.in_(ENGAGED_STAGES), Partnership.role == PartnershipRole.PARTNER)


@dataclass
class Filters:
    q: str = ""
    type: str = ""
    stage: str = ""
    country: str = ""
    target: str = ""
    centre: str = ""
    role: str = ""
    # Agreements: the area of the report they belong to ("partnerships": area 3).
    area: str = ""
    sort: str = ""
    extra: dict = field(default_factory=dict)
    # The period (``crm.core.periods``): partnerships engaged and agreements begun by its end, as they stood then.
    span: Span = field(default_factory=Span)

    @classmethod
    def from_args(cls, args, span: Span = Span()) -> "Filters":
        names = ("q", "type", "stage", "country", "target", "centre", "role", "area", "sort")
        values = {name: (args.get(name) or "").strip() for name in names}
        return cls(**values, span=span)


def _search_organisations(stmt, q: str):
    """Match any script: folded keys for names and acronym, plus the raw name for partial words."""
    if not q:
        return stmt
    folded = fold(q)
    return stmt.where(sa.or_(Organisation.match_keys.contains(folded), Organisation.name.ilike(f"%{q}%")))


ORGANISATION_SORTS = {
    "name": Organisation.name,
    "acronym": Organisation.acronym,
    "type": OrganisationType.name,
    "country": Organisation.country,
}


def directory(exclude_id: int | None = None) -> list[Organisation]:
    """Every live entry of the directory by name, for choices (merged entries are aliases, never offered)."""
    from crm.extensions import db

    stmt = sa.select(Organisation).where(Organisation.merged_into_id.is_(None)).order_by(Organisation.name)
    if exclude_id is not None:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalars(stmt).all()


def organisation_history(organisation: Organisation):
    """The entry's own changes and those of the entries merged into it, newest first, in one query."""
    from crm.audit.models import AuditEntry
    from crm.extensions import db

    merged = sa.select(Organisation.id).where(Organisation.merged_into_id == organisation.id)
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.entity == Organisation.__tablename__,
            sa.or_(AuditEntry.entity_id == organisation.id, AuditEntry.entity_id.in_(merged)),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()


def organisations(filters: Filters) -> sa.Select:
    stmt = sa.select(Organisation).join(Organisation.type).where(Organisation.merged_into_id.is_(None))
    stmt = _search_organisations(stmt, filters.q)
    if filters.type:
        stmt = stmt.where(OrganisationType.code == filters.type)
    if filters.country:
        stmt = stmt.where(Organisation.country == filters.country.upper())
    return sort_by(stmt, filters.sort, ORGANISATION_SORTS, "name", tiebreak=(Organisation.id,))


PARTNERSHIP_SORTS = {
    "name": Organisation.name,
    "stage": Partnership.stage,
    "type": OrganisationType.name,
    "centre": Centre.code,
    "next_step_on": Partnership.next_step_on,
    "updated": Partnership.updated_at,
}


def partnerships(filters: Filters, user=None) -> sa.Select:
    stmt = sa.select(Partnership).join(Partnership.organisation).join(Organisation.type).join(Partnership.centre)
    stmt = scoped(stmt, Partnership.centre_id, user)
    stmt = _search_organisations(stmt, filters.q)
    if filters.type:
        stmt = stmt.where(OrganisationType.code == filters.type)
    if filters.stage in {s.value for s in Stage}:
        stmt = stmt.where(Partnership.stage == Stage(filters.stage))
    elif filters.stage == "engaged":
        stmt = stmt.where(Partnership.stage.in_(ENGAGED_STAGES))
    if filters.role in {r.value for r in PartnershipRole}:
        stmt = stmt.where(Partnership.role == PartnershipRole(filters.role))
    if filters.country:
        stmt = stmt.where(Organisation.country == filters.country.upper())
    if target := as_id(filters.target):
        stmt = stmt.where(Partnership.kmgbf_targets.contains(f",{target},"))
    if filters.centre:
        stmt = stmt.where(Centre.code == filters.centre)
    stmt = stmt.where(filters.span.by_end(Partnership.engaged_on))
    return sort_by(stmt, filters.sort, PARTNERSHIP_SORTS, "name", tiebreak=(Partnership.id,))


CONTACT_SORTS = {
    "name": Contact.name,
    "organisation": Organisation.name,
    "email": Contact.email,
}


def contacts(filters: Filters, user=None) -> sa.Select:
    stmt = (
        sa.select(Contact, Partnership, Organisation)
        .join(Contact.partnership)
        .join(Partnership.organisation)
        .join(Organisation.type)
    )
    stmt = scoped(stmt, Contact.centre_id, user)
    if filters.q:
        like = f"%{filters.q}%"
        stmt = stmt.where(
            sa.or_(
                Contact.name.ilike(like),
                Contact.email.ilike(like),
                Contact.title.ilike(like),
                Organisation.name.ilike(like),
            )
        )
    if filters.type:
        stmt = stmt.where(OrganisationType.code == filters.type)
    if filters.stage in {s.value for s in Stage}:
        stmt = stmt.where(Partnership.stage == Stage(filters.stage))
    if filters.country:
        stmt = stmt.where(Organisation.country == filters.country.upper())
    return sort_by(stmt, filters.sort, CONTACT_SORTS, "name", tiebreak=(Contact.id,))


def overlap(filters: Filters) -> sa.Select:
    """Organisations engaged by at least one centre, most widely engaged first; for coordinators only."""
    centres = sa.func.count(Partnership.id).label("centres")
    stmt = (
        sa.select(Organisation, centres)
        .join(Partnership, Partnership.organisation_id == Organisation.id)
        .join(Organisation.type)
        .where(Organisation.merged_into_id.is_(None))
        .group_by(Organisation.id, OrganisationType.id, OrganisationType.name)
    )
    stmt = _search_organisations(stmt, filters.q)
    if filters.type:
        stmt = stmt.where(OrganisationType.code == filters.type)
    if filters.centre == "shared":
        stmt = stmt.having(centres > 1)
    return stmt.order_by(centres.desc(), Organisation.name, Organisation.id)


def engagements(organisation_ids: list[int]) -> dict[int, list[Partnership]]:
    """Each organisation's partnerships across centres (centre code and stage), in one query."""
    from crm.extensions import db

    if not organisation_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Partnership)
        .join(Partnership.centre)
        .where(Partnership.organisation_id.in_(organisation_ids))
        .order_by(Centre.code)
    ).all()
    result: dict[int, list[Partnership]] = {}
    for row in rows:
        result.setdefault(row.organisation_id, []).append(row)
    return result


def next_step_pending() -> sa.ColumnElement:
    """A partnership with a dated next step still to take: not closed. (Its date past: the step is overdue.)"""
    return sa.and_(Partnership.next_step_on.is_not(None), Partnership.stage != Stage.CLOSED)


def due_items(centre_ids, until: date | None) -> list[DueItem]:
    """The partnerships' next steps dated up to ``until`` (None: all), overdue ones included; one query."""
    from crm.extensions import db

    stmt = sa.select(Partnership).where(next_step_pending())
    partnerships = db.session.scalars(
        dated_until(stmt, Partnership, Partnership.next_step_on, centre_ids, until)
    ).unique()
    return [
        DueItem.of(
            p,
            uid=f"partnership-next-step-{p.id}",
            kind=_l("Next step"),
            title=p.organisation.display_name,
            due=PartialDate(p.next_step_on),
            endpoint="partners.partnership",
            record_args=(("partnership_id", p.id),),
            detail=p.next_step or _("Next step"),
        )
        for p in partnerships
    ]
