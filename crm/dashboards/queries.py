"""The dashboards' scope and the reads no other domain owns: a fixed number of statements whatever the data size.

The agreements', proposals', experts' and ledger's figures are their domains' own queries, which the dashboard
(``crm.dashboards.summary``) calls with the scope's centres and span. Nothing here checks access: the views decide
which centres a user may see.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.core.periods import Span
from crm.extensions import db
from crm.partners.models import Organisation, OrganisationType, Partnership

LIST_LIMIT = 8


@dataclass(frozen=True)
class Scope:
    centre_ids: frozenset[int] | None  # None: every centre
    starts_on: date | None
    ends_on: date | None
    today: date
    period: str = ""  # the reporting period's label, when the dates are one's

    @property
    def span(self) -> Span:
        return Span(self.starts_on, self.ends_on, self.period)

    def centres(self, column) -> sa.ColumnElement:
        return sa.true() if self.centre_ids is None else column.in_(sorted(self.centre_ids))


def short(stmt: sa.Select) -> tuple[list, int]:
    """The first LIST_LIMIT records of ``stmt`` and how many there are, in one statement: the count a scalar
    subquery, worked out once, while the list itself stops at LIST_LIMIT rows read in index order."""
    total = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()).scalar_subquery()
    rows = db.session.execute(stmt.add_columns(total.label("total")).limit(LIST_LIMIT)).all()
    return [row[0] for row in rows], (rows[0].total if rows else 0)


def centres(scope: Scope) -> list[Centre]:
    return db.session.scalars(sa.select(Centre).where(scope.centres(Centre.id)).order_by(Centre.code)).all()


# --- partnerships: standing records, engaged by the period's end --------------------------------


def partnership_counts(scope: Scope) -> list[sa.Row]:
    """(centre_id, type_code, type_name, type_position, stage, partnerships): counted per type id, then named."""
    counts = (
        sa.select(Partnership.centre_id, Organisation.type_id, Partnership.stage, sa.func.count().label("n"))
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .where(scope.centres(Partnership.centre_id), scope.span.by_end(Partnership.engaged_on))
        .group_by(Partnership.centre_id, Organisation.type_id, Partnership.stage)
        .subquery()
    )
    t = OrganisationType
    stmt = sa.select(counts.c.centre_id, t.code, t.name, t.position, counts.c.stage, counts.c.n).join(
        t, t.id == counts.c.type_id
    )
    return db.session.execute(stmt).all()


def shared_organisations(scope: Scope) -> tuple[list[sa.Row], int]:
    """Organisations engaged by more than one centre, most shared first: (id, name, acronym, centres), total.

    A centre holds one partnership per organisation (a unique constraint), so counting partnerships counts
    centres."""
    engaged = sa.func.count()
    shared = (
        sa.select(Partnership.organisation_id, engaged.label("centres"), sa.func.count().over().label("total"))
        .where(scope.centres(Partnership.centre_id), scope.span.by_end(Partnership.engaged_on))
        .group_by(Partnership.organisation_id)
        .having(engaged > 1)
        .subquery()
    )
    stmt = (
        sa.select(Organisation.id, Organisation.name, Organisation.acronym, shared.c.centres, shared.c.total)
        .join(shared, shared.c.organisation_id == Organisation.id)
        .order_by(shared.c.centres.desc(), Organisation.name)
        .limit(LIST_LIMIT)
    )
    rows = db.session.execute(stmt).all()
    return rows, (rows[0].total if rows else 0)
