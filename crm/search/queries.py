"""The search box's one read: every register's matches and counts in one statement, whatever the data size.

The words typed are folded as the index is (``crm.partners.services.fold``), and a record matches when every
word is found in one of its folded texts (a part of a word will do: "tsingh", "清华", "москв"). A result whose
name begins with the first word comes first, then by title. Readers find the directory and what their centres
hold (coordinators and admins: every centre); experts only their own centre's staff, who may see their names.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from crm.core.scoping import readable_centre_ids
from crm.extensions import db
from crm.partners.services import fold
from crm.search.index import REGISTERS
from crm.search.models import SearchEntry

PER_REGISTER = 10
# Counted up to this many per register: past it, "more than 200" and a hint to add a word.
CAP = 200
# More words than anyone types; a pasted paragraph is cut, never a statement with a thousand LIKEs.
MAX_WORDS = 8


@dataclass
class Hit:
    record_id: int
    link_id: int
    title: str
    detail: str


@dataclass
class Group:
    register: str
    label: str
    endpoint: str
    arg: str
    total: int = 0
    capped: bool = False
    hits: list[Hit] = field(default_factory=list)

    @property
    def count(self) -> str:
        return f"more than {CAP}" if self.capped else str(self.total)


def words(q: str) -> list[str]:
    return fold(q or "").split()[:MAX_WORDS]


def _visible(user, centre_id: int | None):
    """Rows the user may find, optionally within one of their centres."""
    table = SearchEntry.__table__
    readable = readable_centre_ids(user)
    own = sorted(user.member_centre_ids) if user.role == "staff" else []
    personal = [r.name for r in REGISTERS if r.personal]
    conditions = []
    if readable is not None:
        conditions.append(sa.or_(table.c.centre_id.is_(None), table.c.centre_id.in_(sorted(readable))))
    conditions.append(sa.or_(table.c.register.not_in(personal), table.c.centre_id.in_(own)))
    if centre_id is not None:
        conditions.append(sa.or_(table.c.centre_id.is_(None), table.c.centre_id == centre_id))
    return conditions


FTS = sa.table("search_terms", sa.column("rowid"), sa.column("terms"))
# SQLite: the records the FTS5 index finds for the longest word, read once for every register, at most this many.
FTS_CAP = 5000


def _fts_hits(typed: list[str]):
    """On SQLite, the rows whose terms hold the longest word of three characters or more, from the FTS5 trigram
    index (fewer characters cannot be looked up by trigrams: None, and the registers are scanned instead)."""
    driving = max(typed, key=len)
    if db.session.get_bind().dialect.name != "sqlite" or len(driving) < 3:
        return None, typed
    hits = sa.select(FTS.c.rowid.label("id")).where(FTS.c.terms.like(f"%{driving}%")).limit(FTS_CAP).cte("hits")
    return hits, [word for word in typed if word != driving]


def _matching(register: str, typed: list[str], hits, conditions: list):
    """One register's matches, at most CAP + 1 of them: a word found in many records costs no more than a rare one.
    PostgreSQL's planner takes the trigram index by itself; SQLite starts from the FTS5 hits."""
    table = SearchEntry.__table__
    source = table if hits is None else hits.join(table, table.c.id == hits.c.id)
    leading = sa.case((table.c.terms.like(f"%|{typed[0]}%"), 0), else_=1).label("leading")
    return (
        sa.select(table.c.register, table.c.record_id, table.c.link_id, table.c.title, table.c.detail, leading)
        .select_from(source)
        .where(table.c.register == register, *conditions)
        .limit(CAP + 1)
    )


def search(q: str, user, centre_id: int | None = None, per_register: int = PER_REGISTER) -> list[Group]:
    """The groups of results, in the registers' order, each with its count (up to CAP: "200+") and its first
    ``per_register`` hits, a result whose name begins with the first word first. One statement."""
    typed = words(q)
    groups = {r.name: Group(r.name, r.label, r.endpoint, r.arg) for r in REGISTERS}
    if not typed:
        return list(groups.values())
    # Folding left no wildcard in the words (``%`` and ``_`` are punctuation): each is a plain "contains".
    hits, others = _fts_hits(typed)
    conditions = [*_visible(user, centre_id), *(SearchEntry.__table__.c.terms.like(f"%{word}%") for word in others)]
    # Each register's LIMIT inside its own subquery: SQLite takes no LIMIT on a bare member of a UNION.
    branches = [sa.select(_matching(r.name, typed, hits, conditions).subquery()) for r in REGISTERS]
    found = sa.union_all(*branches).subquery()
    ranked = sa.select(
        found,
        sa.func.count().over(partition_by=found.c.register).label("total"),
        sa.func.row_number()
        .over(partition_by=found.c.register, order_by=(found.c.leading, found.c.title, found.c.record_id))
        .label("n"),
    ).subquery()
    stmt = sa.select(ranked).where(ranked.c.n <= per_register).order_by(ranked.c.register, ranked.c.n)
    for register, record_id, link_id, title, detail, _, total, _ in db.session.execute(stmt):
        group = groups[register]
        group.total = total
        group.capped = total > CAP
        group.hits.append(Hit(record_id, link_id, title, detail))
    return list(groups.values())
