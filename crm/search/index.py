"""What each register offers the search box, and the index kept up to date in the flush of every change.

Each register says, for a set of its records (or all of them), the rows of the index: the title and detail a
result shows, the centre whose readers may find it, and its searched texts — names in every script, acronyms,
titles, descriptions, and the names of the organisations it links to (a proposal is found by its funder's name),
each folded as the directory folds names (``crm.partners.services.fold``: case, accents, punctuation and common
words gone, Chinese and Cyrillic kept as written). An organisation renamed refreshes the records that name it.

The index is written through the flushing connection, like the audit log: it commits or rolls back with the
change it follows. ``rebuild`` recomputes every row (the migration that made the table, bulk loads, repairs).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from crm.agreements.models import Agreement, AgreementKind, AgreementStatus, agreement_counterparts
from crm.centres.models import Centre
from crm.core.i18n import country_name
from crm.core.records import on_created_in_bulk
from crm.experts.models import Expert, ExpertPool
from crm.extensions import db
from crm.funding.models import Kind, LedgerEntry
from crm.funding.models import Stage as LedgerStage
from crm.partners.models import Contact, Organisation, OrganisationType, Partnership, Stage, shown_type_name
from crm.partners.services import fold
from crm.proposals.models import Proposal, ProposalStatus
from crm.search.models import SearchEntry

ORG = Organisation.__table__


@dataclass(frozen=True)
class Register:
    name: str
    label: str  # the results' heading: "Organisations"
    endpoint: str  # the page of one record
    arg: str  # its argument, given the row's link_id
    model: type
    rows: Callable  # (connection, ids or None) -> list of index rows
    # Only readers who may see its people's personal data find it (experts: their own centre's staff).
    personal: bool = False


def terms(*texts) -> str:
    """The searched texts folded, each between bars; lists (other names, themes) count as several texts."""
    parts = []
    for text in texts:
        for item in text if isinstance(text, list | tuple) else [text]:
            folded = fold(str(item or ""))
            if folded:
                parts.append(folded)
    return "|" + "|".join(dict.fromkeys(parts)) + "|"


def row(record_id: int, centre_id: int | None, title: str, detail: str, *texts, link_id: int | None = None) -> dict:
    """One row of the index: what a result shows and links to, who may find it, and its searched texts."""
    return dict(
        record_id=record_id,
        link_id=record_id if link_id is None else link_id,
        centre_id=centre_id,
        title=(title or "")[:500],
        detail=(detail or "")[:500],
        terms=terms(*texts),
    )


# The detail is stored language-neutral and composed in the reader's language when shown (``shown_detail``): its
# parts are kept apart by SEP, and a part the interface words (a stage, a kind, a country, a seeded type) is kept
# as CODE + what it is + ":" + its value, never as its English label.
SEP, CODE = "\x1e", "\x1f"


def coded(what: str, value) -> str:
    return f"{CODE}{what}:{value}" if value else ""


def joined(*parts) -> str:
    def clean(part) -> str:
        text = str(part)
        return text if text.startswith(CODE) else text.replace(SEP, " ").replace(CODE, " ")

    return SEP.join(clean(part) for part in parts if part)


def _decode(part: str) -> str:
    what, _, value = part[1:].partition(":")
    if what == "country":
        return country_name(value)
    if what == "type":
        return shown_type_name(value)
    if what == "voided":
        return str(_l("voided"))
    enum = CODED.get(what)
    if enum is None:
        return value
    return _label(enum, value)


def shown_detail(detail: str) -> str:
    """A result's detail in the reader's language: the coded parts worded now, the records' own words as written (a
    row written before the detail was coded shows as it was stored)."""
    return " · ".join(_decode(part) if part.startswith(CODE) else part for part in (detail or "").split(SEP) if part)


def org_name(name, acronym) -> str:
    return f"{name} ({acronym})" if acronym and acronym not in (name or "") else name or ""


def _where(stmt, column, ids):
    return stmt if ids is None else stmt.where(column.in_(ids))


def _label(enum, value) -> str:
    try:
        return enum(value).label
    except ValueError:
        return str(value or "")


def organisation_rows(conn, ids):
    stmt = sa.select(ORG.c.id, ORG.c.name, ORG.c.other_names, ORG.c.acronym, ORG.c.country, OrganisationType.name)
    stmt = stmt.join(OrganisationType.__table__, OrganisationType.id == ORG.c.type_id)
    stmt = _where(stmt.where(ORG.c.merged_into_id.is_(None)), ORG.c.id, ids)
    return [
        row(id_, None, org_name(name, acronym), joined(coded("type", kind), coded("country", country)),
            name, other_names or [], acronym)
        for id_, name, other_names, acronym, country, kind in conn.execute(stmt)
    ]  # fmt: skip


def partnership_rows(conn, ids):
    p = Partnership.__table__
    stmt = sa.select(
        p.c.id, p.c.centre_id, p.c.stage, p.c.areas, p.c.next_step, ORG.c.name, ORG.c.other_names, ORG.c.acronym
    ).join(ORG, ORG.c.id == p.c.organisation_id)
    stmt = _where(stmt, p.c.id, ids).add_columns(Centre.code).join(Centre.__table__, Centre.id == p.c.centre_id)
    return [
        row(id_, centre_id, org_name(name, acronym), joined(code, coded("stage", stage)),
            name, other_names or [], acronym, areas, next_step)
        for id_, centre_id, stage, areas, next_step, name, other_names, acronym, code in conn.execute(stmt)
    ]  # fmt: skip


def contact_rows(conn, ids):
    c, p = Contact.__table__, Partnership.__table__
    stmt = (
        sa.select(c.c.id, c.c.partnership_id, c.c.centre_id, c.c.name, c.c.title, c.c.email, ORG.c.name, ORG.c.acronym)
        .join(p, p.c.id == c.c.partnership_id)
        .join(ORG, ORG.c.id == p.c.organisation_id)
    )
    return [
        row(id_, centre_id, name, joined(title, org_name(org, acronym)), name, title, email, org, acronym,
            link_id=partnership_id)
        for id_, partnership_id, centre_id, name, title, email, org, acronym in conn.execute(_where(stmt, c.c.id, ids))
    ]  # fmt: skip


def agreement_rows(conn, ids):
    a = Agreement.__table__
    stmt = _where(sa.select(a.c.id, a.c.centre_id, a.c.title, a.c.kind, a.c.status, a.c.responsible), a.c.id, ids)
    agreements = conn.execute(stmt).all()
    counterparts = defaultdict(list)
    if agreements:
        link = agreement_counterparts
        named = sa.select(link.c.agreement_id, ORG.c.name, ORG.c.other_names, ORG.c.acronym).join(
            ORG, ORG.c.id == link.c.organisation_id
        )
        for agreement_id, name, other_names, acronym in conn.execute(_where(named, link.c.agreement_id, ids)):
            counterparts[agreement_id].append((name, other_names or [], acronym))
    return [
        row(
            id_,
            centre_id,
            title,
            joined(
                coded("agreement_kind", kind),
                coded("agreement_status", status),
                ", ".join(acronym or name for name, _, acronym in counterparts[id_]),
            ),
            title,
            responsible,
            *(part for names in counterparts[id_] for part in names),
        )
        for id_, centre_id, title, kind, status, responsible in agreements
    ]


def expert_rows(conn, ids):
    e = Expert.__table__
    stmt = sa.select(e.c.id, e.c.centre_id, e.c.name, e.c.other_names, e.c.position, e.c.themes, e.c.nationality)
    return [
        row(id_, centre_id, name, joined(other_names, position, nationality),
            name, (other_names or "").split(";"), position, themes or [])
        for id_, centre_id, name, other_names, position, themes, nationality in conn.execute(_where(stmt, e.c.id, ids))
    ]  # fmt: skip


def pool_rows(conn, ids):
    pool = ExpertPool.__table__
    stmt = _where(sa.select(pool.c.id, pool.c.centre_id, pool.c.name, pool.c.description), pool.c.id, ids)
    return [
        row(id_, centre_id, name, "", name, description) for id_, centre_id, name, description in conn.execute(stmt)
    ]


def proposal_rows(conn, ids):
    pr = Proposal.__table__
    stmt = sa.select(
        pr.c.id, pr.c.centre_id, pr.c.title, pr.c.status, pr.c.summary, ORG.c.name, ORG.c.other_names, ORG.c.acronym
    ).join(ORG, ORG.c.id == pr.c.funder_id)
    return [
        row(
            id_,
            centre_id,
            title,
            joined(coded("proposal_status", status), org_name(funder, acronym)),
            title,
            funder,
            other_names or [],
            acronym,
            summary,
        )
        for id_, centre_id, title, status, summary, funder, other_names, acronym in conn.execute(
            _where(stmt, pr.c.id, ids)
        )
    ]


def resource_rows(conn, ids):
    le = LedgerEntry.__table__
    stmt = (
        sa.select(
            le.c.id, le.c.centre_id, le.c.purpose_detail, le.c.description, le.c.kind, le.c.stage, le.c.unit,
            le.c.voided_at, ORG.c.name, ORG.c.other_names, ORG.c.acronym,
        )
        .outerjoin(ORG, ORG.c.id == le.c.source_id)
        .where(le.c.withdraws_id.is_(None))
    )  # fmt: skip
    rows = []
    for id_, centre_id, detail, description, kind, stage, unit, voided_at, source, others, acronym in conn.execute(
        _where(stmt, le.c.id, ids)
    ):
        shown = joined(
            org_name(source, acronym),
            coded("kind", kind),
            coded("ledger_stage", stage),
            voided_at and coded("voided", 1),
        )
        rows.append(
            row(id_, centre_id, detail or description or coded("kind", kind), shown,
                detail, description, source, others or [], acronym, unit)
        )  # fmt: skip
    return rows


CODED = {
    "stage": Stage,
    "agreement_kind": AgreementKind,
    "agreement_status": AgreementStatus,
    "proposal_status": ProposalStatus,
    "kind": Kind,
    "ledger_stage": LedgerStage,
}

REGISTERS = (
    Register("organisations", _l("Organisations"), "partners.organisation", "organisation_id", Organisation,
             organisation_rows),
    Register("partnerships", _l("Partnerships"), "partners.partnership", "partnership_id", Partnership,
             partnership_rows),
    Register("contacts", _l("Contacts"), "partners.partnership", "partnership_id", Contact, contact_rows),
    Register("agreements", _l("Agreements"), "agreements.show", "agreement_id", Agreement, agreement_rows),
    Register("experts", _l("Experts"), "experts.show", "expert_id", Expert, expert_rows, personal=True),
    Register("pools", _l("Expert pools"), "experts.edit_pool", "pool_id", ExpertPool, pool_rows),
    Register("proposals", _l("Proposals"), "proposals.show", "proposal_id", Proposal, proposal_rows),
    Register("resources", _l("Resources"), "funding.show", "entry_id", LedgerEntry, resource_rows),
)  # fmt: skip
BY_NAME = {register.name: register for register in REGISTERS}
BY_MODEL = {register.model: register for register in REGISTERS}


def dependents(conn, organisation_ids: set[int]) -> dict[str, set[int]]:
    """The records that show or search an organisation's names: refreshed when it is renamed or merged."""
    ids = list(organisation_ids)
    p, c, pr, le = Partnership.__table__, Contact.__table__, Proposal.__table__, LedgerEntry.__table__
    link = agreement_counterparts
    queries = {
        "partnerships": sa.select(p.c.id).where(p.c.organisation_id.in_(ids)),
        "contacts": sa.select(c.c.id).join(p, p.c.id == c.c.partnership_id).where(p.c.organisation_id.in_(ids)),
        "agreements": sa.select(link.c.agreement_id).where(link.c.organisation_id.in_(ids)),
        "proposals": sa.select(pr.c.id).where(pr.c.funder_id.in_(ids)),
        "resources": sa.select(le.c.id).where(le.c.source_id.in_(ids)),
    }
    union = sa.union_all(
        *(sa.select(sa.literal(name).label("register"), q.subquery().c[0]) for name, q in queries.items())
    )
    found = defaultdict(set)
    for register, record_id in conn.execute(union):
        found[register].add(record_id)
    return found


def refresh(conn, wanted: dict[str, set[int]]) -> None:
    """Rewrite the index rows of these records (a record gone, or no longer searchable, loses its row)."""
    table = SearchEntry.__table__
    for name, ids in wanted.items():
        if not ids:
            continue
        ids = sorted(ids)
        conn.execute(table.delete().where(table.c.register == name, table.c.record_id.in_(ids)))
        rows = BY_NAME[name].rows(conn, ids)
        if rows:
            conn.execute(table.insert(), [{"register": name, **row} for row in rows])


def rebuild(conn) -> int:
    """Every row of the index recomputed from the registers; returns how many."""
    table = SearchEntry.__table__
    conn.execute(table.delete())
    count = 0
    for register in REGISTERS:
        rows = register.rows(conn, None)
        for start in range(0, len(rows), 5000):
            conn.execute(table.insert(), [{"register": register.name, **row} for row in rows[start : start + 5000]])
        count += len(rows)
    return count


def _changed(objects: Iterable, wanted: dict[str, set[int]], organisations: set[int]) -> None:
    for obj in objects:
        register = BY_MODEL.get(type(obj))
        if register is not None and obj.id is not None:
            wanted[register.name].add(obj.id)
            if register.model is Organisation:
                organisations.add(obj.id)


@event.listens_for(Session, "after_flush")
def _keep_up(session, flush_context):
    wanted: dict[str, set[int]] = defaultdict(set)
    organisations: set[int] = set()
    _changed(session.new, wanted, organisations)
    _changed((obj for obj in session.dirty if session.is_modified(obj)), wanted, organisations)
    _changed(session.deleted, wanted, organisations)
    if not wanted:
        return
    conn = session.connection()
    if organisations:
        for name, ids in dependents(conn, organisations).items():
            wanted[name] |= ids
    refresh(conn, wanted)


# Records written in bulk (an import), indexed when their transaction or savepoint commits: their pools and tags
# are written after them, and one refresh for the whole batch costs what one record's would.
PENDING = "search_index_pending"


@on_created_in_bulk
def _index_at_commit(model, ids):
    register = BY_MODEL.get(model)
    if register is not None:
        db.session.info.setdefault(PENDING, defaultdict(set))[register.name].update(ids)


@event.listens_for(Session, "before_commit")
def _index_pending(session):
    pending = session.info.pop(PENDING, None)
    if pending:
        session.flush()
        refresh(session.connection(), pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session, previous_transaction):
    session.info.pop(PENDING, None)
