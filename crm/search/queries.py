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
from crm.search.index import REGISTERS, shown_detail
from crm.search.models import SearchEntry

PER_REGISTER = 10
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
        return f"{self.total}+" if self.capped else str(self.total)


def words(q: str) -> list[str]:
    return fold(q or "").split()[:MAX_WORDS]


def _visible(user, centre_id: int | None, table=SearchEntry.__table__):
    """Rows the user may find, optionally within one of their centres (``table``: the index, or its FTS5 twin)."""
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


FTS = sa.table("search_terms", sa.column("rowid"), sa.column("terms"), sa.column("register"), sa.column("centre_id"))
# The matches read for one search, at most: past it, every count is "at least" and a hint says to add a word.
FOUND_CAP = 5000


def _found(typed: list[str], user, centre_id: int | None):
    """The ids of the rows the user may see that hold every word, at most FOUND_CAP of them.

    On SQLite the words of three characters or more are looked up in the FTS5 trigram index, and the shorter ones
    (which trigrams cannot look up, and which FTS5 must never be given) checked on the rows it finds; PostgreSQL's
    planner takes the pg_trgm index for the words it can, and scans for the others."""
    table = SearchEntry.__table__
    long = [word for word in typed if len(word) >= 3]
    if db.session.get_bind().dialect.name == "sqlite" and long:
        short = [word for word in typed if len(word) < 3]
        stmt = sa.select(FTS.c.rowid.label("id")).where(*(FTS.c.terms.like(f"%{word}%") for word in long))
        stmt = stmt.where(*_visible(user, centre_id, FTS))
        if short:
            stmt = stmt.join(table, table.c.id == FTS.c.rowid).where(*(table.c.terms.like(f"%{w}%") for w in short))
    else:
        stmt = sa.select(table.c.id).where(*(table.c.terms.like(f"%{word}%") for word in typed))
        stmt = stmt.where(*_visible(user, centre_id))
    return stmt.limit(FOUND_CAP).cte("found")


def search(q: str, user, centre_id: int | None = None, per_register: int = PER_REGISTER) -> list[Group]:
    """The groups of results in the registers' order, each with its count and its first ``per_register`` hits (a
    result whose name begins with the first word first, then by title). One statement, whatever the data size."""
    typed = words(q)
    groups = {r.name: Group(r.name, r.label, r.endpoint, r.arg) for r in REGISTERS}
    if not typed:
        return list(groups.values())
    # Folding left no wildcard in the words (``%`` and ``_`` are punctuation): each is a plain "contains".
    table = SearchEntry.__table__
    found = _found(typed, user, centre_id)
    leading = sa.case((table.c.terms.like(f"%|{typed[0]}%"), 0), else_=1)
    ranked = (
        sa.select(
            table.c.register,
            table.c.record_id,
            table.c.link_id,
            table.c.title,
            table.c.detail,
            sa.func.count().over().label("everything"),
            sa.func.count().over(partition_by=table.c.register).label("total"),
            sa.func.row_number()
            .over(partition_by=table.c.register, order_by=(leading, table.c.title, table.c.record_id))
            .label("n"),
        )
        .select_from(found.join(table, table.c.id == found.c.id))
        .subquery()
    )
    stmt = sa.select(ranked).where(ranked.c.n <= per_register).order_by(ranked.c.register, ranked.c.n)
    for register, record_id, link_id, title, detail, everything, total, _ in db.session.execute(stmt):
        group = groups[register]
        group.total = total
        # Past FOUND_CAP matches in all, only the first FOUND_CAP were read: every count is "at least".
        group.capped = everything >= FOUND_CAP
        group.hits.append(Hit(record_id, link_id, shown_detail(title), shown_detail(detail)))
    return list(groups.values())
