"""Heavy reads of the roster: the faceted search and the counts the reports quote.

Every function here runs a fixed number of statements whatever the roster size:
facet counts are one UNION ALL of GROUP BYs over the matching experts.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload, lazyload, selectinload
from werkzeug.datastructures import MultiDict

from crm.centres.models import Centre
from crm.core.i18n import country_name, language_name
from crm.core.kmgbf import TARGETS
from crm.core.periods import Span
from crm.core.scoping import scoped
from crm.core.web import as_id
from crm.experts.models import (
    Availability,
    EngagementBasis,
    Expert,
    ExpertPool,
    ExpertTag,
    Origin,
    PoolStatus,
    TagFacet,
    Vetting,
    origin_expression,
    pool_memberships,
)
from crm.extensions import db
from crm.partners.models import Organisation

# --- the search, as it travels in the URL ----------------------------------------


@dataclass
class Search:
    """What the user searched for; every list is OR within itself, the lists AND together."""

    q: str = ""
    target: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    origin: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)
    vetting: list[str] = field(default_factory=list)
    pool: list[str] = field(default_factory=list)
    centre: list[str] = field(default_factory=list)
    # The period (``crm.core.periods``): experts listed by its end.
    span: Span = field(default_factory=Span)

    @classmethod
    def from_args(cls, args: MultiDict, span: Span = Span()) -> "Search":
        """Read the query string; values that cannot match anything are dropped rather than refused."""
        valid = {
            "target": lambda v: as_id(v) in TARGETS,
            "origin": lambda v: v in Origin._value2member_map_,
            "availability": lambda v: v in Availability._value2member_map_,
            "basis": lambda v: v in EngagementBasis._value2member_map_,
            "vetting": lambda v: v in Vetting._value2member_map_,
            "pool": lambda v: as_id(v) is not None,
            "centre": lambda v: as_id(v) is not None,
            "language": lambda v: len(v) == 3 and v.isalpha(),
            "country": lambda v: len(v) == 2 and v.isalpha(),
        }
        search = cls(q=" ".join(args.get("q", "").split())[:200], span=span)
        for name in FACETS:
            check = valid.get(name, lambda v: 0 < len(v) <= 100)
            values = []
            for raw in args.getlist(name):
                value = raw.strip().lower() if name in ("theme", "language") else raw.strip()
                value = value.upper() if name == "country" else value
                if value and check(value) and value not in values:
                    values.append(value)
            setattr(search, name, values)
        return search

    def args(self) -> dict:
        """The query arguments that reproduce this search (for links and bookmarks)."""
        args = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "span" and getattr(self, f.name)}
        return args | {name: [value] for name, value in self.span.args().items()}

    @property
    def is_empty(self) -> bool:
        return not self.args()

    def without_text(self) -> dict:
        return {name: values for name, values in self.args().items() if name != "q"}

    def toggled(self, facet: str, value: str) -> dict:
        """The arguments of this search with ``value`` added to or removed from ``facet``."""
        args = self.args()
        values = list(args.get(facet, []))
        values = [v for v in values if v != value] if value in values else values + [value]
        if values:
            args[facet] = values
        else:
            args.pop(facet, None)
        return args


FACETS = {
    "target": _l("KMGBF target"),
    "theme": _l("Theme"),
    "language": _l("Language"),
    "country": _l("Nationality"),
    "origin": _l("Domestic or foreign"),
    "availability": _l("Availability"),
    "basis": _l("Engagement basis"),
    "vetting": _l("Vetting"),
    "pool": _l("Pool"),
    "centre": _l("Centre"),
}
TAG_FACETS = {"target": TagFacet.TARGET, "language": TagFacet.LANGUAGE, "theme": TagFacet.THEME}


def _column_facets():
    return {
        "country": Expert.nationality,
        "origin": origin_expression(),
        "availability": Expert.availability,
        "basis": Expert.engagement_basis,
        "vetting": Expert.vetting,
        "centre": Expert.centre_id,
    }


def _conditions(search: Search) -> list:
    conditions = [search.span.by_end(Expert.listed_on)] if search.span.ends_on else []
    columns = _column_facets()
    for name, column in columns.items():
        values = getattr(search, name)
        if values:
            conditions.append(sa.cast(column, sa.String).in_(values))
    for name, facet in TAG_FACETS.items():
        values = getattr(search, name)
        if values:
            tagged = sa.select(ExpertTag.expert_id).where(ExpertTag.facet == facet.value, ExpertTag.value.in_(values))
            conditions.append(Expert.id.in_(tagged))
    if search.pool:
        members = sa.select(pool_memberships.c.expert_id).where(
            pool_memberships.c.pool_id.in_([int(p) for p in search.pool])
        )
        conditions.append(Expert.id.in_(members))
    if search.q:
        pattern = f"%{search.q.lower()}%"
        themed = sa.select(ExpertTag.expert_id).where(
            ExpertTag.facet == TagFacet.THEME.value, ExpertTag.value.like(pattern)
        )
        conditions.append(
            sa.or_(
                sa.func.lower(Expert.name).like(pattern),
                sa.func.lower(Expert.other_names).like(pattern),
                Expert.id.in_(themed),
            )
        )
    return conditions


def matching(search: Search, user=None) -> sa.Select:
    """SELECT of the matching experts' ids (and the columns facets group by), within the user's centres."""
    columns = _column_facets()
    stmt = sa.select(Expert.id.label("id"), *(sa.cast(col, sa.String).label(name) for name, col in columns.items()))
    stmt = stmt.join(Centre, Centre.id == Expert.centre_id).where(*_conditions(search))
    return scoped(stmt, Expert.centre_id, user)


def results(search: Search, user=None) -> sa.Select:
    """The matching experts themselves, with what the results table shows loaded up front."""
    ids = matching(search, user).with_only_columns(Expert.id)
    return (
        sa.select(Expert)
        .where(Expert.id.in_(ids))
        # The table shows the affiliation's name, not its type: no join for that.
        .options(selectinload(Expert.pools), joinedload(Expert.affiliation).options(lazyload(Organisation.type)))
        .order_by(sa.func.lower(Expert.name), Expert.id)
    )


# --- facet counts ----------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue]

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def facet_counts(search: Search, user=None) -> tuple[int, dict[str, dict[str, int]]]:
    """(number of matching experts, {facet: {value: experts among them}}) in one statement.

    Counts are over the current result set: the values of a one-value facet (availability,
    basis...) add up to the total; a many-value facet (targets, languages) counts each expert
    once per value it has.
    """
    hits = matching(search, user).cte("hits")
    parts = [sa.select(sa.literal("total"), sa.literal(""), sa.func.count()).select_from(hits)]
    for name in _column_facets():
        column = hits.c[name]
        parts.append(sa.select(sa.literal(name), column, sa.func.count()).where(column.is_not(None)).group_by(column))
    tags = sa.select(ExpertTag.facet, ExpertTag.value, sa.func.count())
    parts.append(tags.join(hits, hits.c.id == ExpertTag.expert_id).group_by(ExpertTag.facet, ExpertTag.value))
    pool_id = sa.cast(pool_memberships.c.pool_id, sa.String)
    pools = sa.select(sa.literal("pool"), pool_id, sa.func.count()).select_from(pool_memberships)
    parts.append(pools.join(hits, hits.c.id == pool_memberships.c.expert_id).group_by(pool_memberships.c.pool_id))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    total = 0
    for facet, value, count in db.session.execute(sa.union_all(*parts)):
        if facet == "total":
            total = count
        else:
            counts[facet][str(value)] = count
    return total, counts


def facets(search: Search, user=None) -> tuple[int, list[Facet]]:
    """The facets to show for ``search``: every value with its count, selected ones first, then by count."""
    total, counts = facet_counts(search, user)
    pool_names = dict(
        db.session.execute(scoped(sa.select(ExpertPool.id, ExpertPool.name), ExpertPool.centre_id, user)).all()
    )
    centre_codes = dict(db.session.execute(scoped(sa.select(Centre.id, Centre.code), Centre.id, user)).all())
    labels = {
        "target": lambda v: (
            _("Target %(number)s — %(title)s", number=v, title=TARGETS[int(v)]) if int(v) in TARGETS else v
        ),
        "language": language_name,
        "country": country_name,
        "origin": lambda v: Origin(v).label,
        "availability": lambda v: Availability(v).label,
        "basis": lambda v: EngagementBasis(v).label,
        "vetting": lambda v: Vetting(v).label,
        "pool": lambda v: pool_names.get(int(v), f"pool #{v}"),
        "centre": lambda v: centre_codes.get(int(v), f"centre #{v}"),
        "theme": lambda v: v,
    }
    result = []
    for name, title in FACETS.items():
        chosen = getattr(search, name)
        values = dict(counts.get(name, {}))
        for value in chosen:
            values.setdefault(value, 0)
        items = [FacetValue(value, labels[name](value), count, value in chosen) for value, count in values.items()]
        if name == "target":
            items.sort(key=lambda item: (not item.selected, int(item.value)))
        else:
            items.sort(key=lambda item: (not item.selected, -item.count, item.label.lower()))
        result.append(Facet(name, title, items))
    return total, result


def themes_in_use(centre_ids, limit: int = 30) -> list[str]:
    """The themes most used on these centres' rosters, for suggestions when tagging an expert."""
    stmt = (
        sa.select(ExpertTag.value, sa.func.count())
        .join(Expert, Expert.id == ExpertTag.expert_id)
        .where(ExpertTag.facet == TagFacet.THEME.value, Expert.centre_id.in_(centre_ids))
        .group_by(ExpertTag.value)
        .order_by(sa.func.count().desc(), ExpertTag.value)
        .limit(limit)
    )
    return [value for value, _ in db.session.execute(stmt)]


# --- the counts the reports quote ------------------------------------------------


@dataclass
class OriginCount:
    """Experts split as the reports count them: "N experts: D domestic, F foreign"."""

    total: int = 0
    domestic: int = 0
    foreign: int = 0
    undetermined: int = 0

    def add(self, origin: str, count: int) -> None:
        self.total += count
        setattr(self, origin, getattr(self, origin) + count)

    def sentence(self) -> str:
        counts = {"domestic": self.domestic, "foreign": self.foreign, "undetermined": self.undetermined}
        if self.undetermined:
            return ngettext(
                "%(num)d expert: %(domestic)d domestic, %(foreign)d foreign, %(undetermined)d not determined",
                "%(num)d experts: %(domestic)d domestic, %(foreign)d foreign, %(undetermined)d not determined",
                self.total,
                **counts,
            )
        return ngettext(
            "%(num)d expert: %(domestic)d domestic, %(foreign)d foreign",
            "%(num)d experts: %(domestic)d domestic, %(foreign)d foreign",
            self.total,
            **counts,
        )


@dataclass
class PoolCount(OriginCount):
    pool_id: int = 0
    name: str = ""
    description: str = ""
    status: PoolStatus = PoolStatus.ESTABLISHED


@dataclass
class RosterCounts(OriginCount):
    centre_id: int = 0
    centre_code: str = ""
    # Without a host country, no expert is domestic or foreign: the split is "not determined".
    host_country: str | None = None
    pools: list[PoolCount] = field(default_factory=list)
    # {target number: experts tagged with it}, every target 1-23 present (0 when none).
    by_target: dict[int, int] = field(default_factory=dict)


def roster_counts_by_centre(centre_ids=None, span: Span = Span()) -> dict[int, RosterCounts]:
    """Roster counts for several centres (all of them when ``centre_ids`` is None), in four statements: the
    experts on the roster by the span's end (``crm.core.periods``: an expert counts from the date listed).

    Returns {centre id: RosterCounts}, every requested centre present even with no experts.
    A RosterCounts has ``total``, ``domestic``, ``foreign``, ``undetermined`` (ints) and
    ``sentence()`` ("163 experts: 121 domestic, 42 foreign"); ``pools``, a list of PoolCount
    (``pool_id``, ``name`` and the same four counts and ``sentence()``), ordered by name, empty
    pools included; and ``by_target``, {1: n, ..., 23: n}. Callers check access themselves.
    """
    listed = span.by_end(Expert.listed_on)

    def centre_filter(column):
        return column.in_(centre_ids) if centre_ids is not None else sa.true()

    centres = db.session.execute(
        sa.select(Centre.id, Centre.code, Centre.host_country).where(centre_filter(Centre.id)).order_by(Centre.code)
    ).all()
    counts = {
        cid: RosterCounts(centre_id=cid, centre_code=code, host_country=host, by_target=dict.fromkeys(TARGETS, 0))
        for cid, code, host in centres
    }
    origin = origin_expression()
    by_origin = (
        sa.select(Expert.centre_id, origin, sa.func.count())
        .join(Centre, Centre.id == Expert.centre_id)
        .where(centre_filter(Expert.centre_id), listed)
        .group_by(Expert.centre_id, origin)
    )
    for centre_id, origin_value, count in db.session.execute(by_origin):
        counts[centre_id].add(origin_value, count)

    pools = {}
    for pool in db.session.execute(
        sa.select(ExpertPool.id, ExpertPool.centre_id, ExpertPool.name, ExpertPool.description, ExpertPool.status)
        .where(centre_filter(ExpertPool.centre_id))
        .order_by(ExpertPool.name)
    ):
        pools[pool.id] = PoolCount(
            pool_id=pool.id, name=pool.name, description=pool.description, status=PoolStatus(pool.status)
        )
        counts[pool.centre_id].pools.append(pools[pool.id])
    by_pool = (
        sa.select(pool_memberships.c.pool_id, origin, sa.func.count())
        .join(Expert, Expert.id == pool_memberships.c.expert_id)
        .join(Centre, Centre.id == Expert.centre_id)
        .where(centre_filter(Expert.centre_id), listed)
        .group_by(pool_memberships.c.pool_id, origin)
    )
    for pool_id, origin_value, count in db.session.execute(by_pool):
        pools[pool_id].add(origin_value, count)

    by_target = (
        sa.select(Expert.centre_id, ExpertTag.value, sa.func.count())
        .join(Expert, Expert.id == ExpertTag.expert_id)
        .where(ExpertTag.facet == TagFacet.TARGET.value, centre_filter(Expert.centre_id), listed)
        .group_by(Expert.centre_id, ExpertTag.value)
    )
    for centre_id, target, count in db.session.execute(by_target):
        counts[centre_id].by_target[int(target)] = count
    return counts


def roster_counts(centre_id: int, span: Span = Span()) -> RosterCounts:
    """The counts of one centre's roster by the span's end; see ``roster_counts_by_centre`` for the shape."""
    return roster_counts_by_centre([centre_id], span)[centre_id]
