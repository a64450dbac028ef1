"""Reads for the pipeline board, the deadlines ahead, and the figures the report and dashboards cite.

Period rule (shared with crm.funding.queries): a proposal counts for a reporting period when its submission
or decision date falls in it, or when it has neither (an idea or draft, or a record whose source gave no date,
such as the seeded report rows). A proposal dated outside the period does not count.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from crm.centres.models import Centre, ReportingPeriod
from crm.core.due import DueItem
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span, date_of, latest_as_at
from crm.core.queries import sort_by
from crm.core.types import exact_sum
from crm.extensions import db
from crm.money import Money
from crm.money.totals import ConvertedTotal, Converter, RatePlan
from crm.partners.models import Organisation
from crm.proposals.models import (
    DEFAULT_PROBABILITY,
    SUBMITTED_STATUSES,
    CallDeadline,
    FundingMechanism,
    Proposal,
    ProposalStatus,
    ProposalStatusChange,
)

WINDOWS = (30, 60, 90)


def in_centres(stmt: sa.Select, centre_ids: set[int] | None) -> sa.Select:
    return stmt if centre_ids is None else stmt.where(Proposal.centre_id.in_(centre_ids))


def centres_in_view(code: str | None, centre_ids: set[int] | None) -> set[int] | None:
    """The centres a proposals page shows: the reader's (``centre_ids``, None for every centre), narrowed by a
    centre's code to that one; an empty set for a code of no centre the reader may read."""
    if not code:
        return centre_ids
    found = db.session.scalar(sa.select(Centre.id).where(Centre.code == code))
    return {found} if found is not None and (centre_ids is None or found in centre_ids) else set()


# The list's orders, by its ``sort`` argument ("-updated": the latest changed first).
SORTS = {
    "title": Proposal.title,
    "status": Proposal.status,
    "deadline": Proposal.deadline_on,
    "submitted": Proposal.submitted_on,
    "updated": Proposal.updated_at,
}
DEFAULT_SORT = "-updated"


def sorted_list(stmt: sa.Select, sort: str | None) -> sa.Select:
    """The proposals list in the order its ``sort`` argument asks (an unknown one: the default)."""
    return sort_by(stmt, sort, SORTS, DEFAULT_SORT, tiebreak=(Proposal.id,))


def statuses_at(span: Span, among: sa.Select | None = None) -> sa.Subquery:
    """(entity_id, status) of every proposal recorded by the span's end (of those ``among`` selects, a select of
    ids; None: all), with the status its history gives then (a change without a date counts from the day it was
    recorded)."""
    if span.ends_on is None:
        current = sa.select(Proposal.id.label("entity_id"), Proposal.status.label("status"))
        return (current if among is None else current.where(Proposal.id.in_(among))).subquery("as_at")
    change = ProposalStatusChange
    day = sa.func.coalesce(change.changed_on, date_of(change.recorded_at))
    return latest_as_at(change.proposal_id, day, change.status, span, change.id, among=among)


def of_centres(centre_ids) -> sa.Select | None:
    """The ids of the proposals of ``centre_ids`` (None: of every centre, no restriction)."""
    return None if centre_ids is None else sa.select(Proposal.id).where(Proposal.centre_id.in_(sorted(centre_ids)))


def _changed_within(span: Span, statuses) -> sa.ColumnElement:
    """The proposal's history has a change to one of ``statuses`` dated within the span."""
    change = ProposalStatusChange
    day = sa.func.coalesce(change.changed_on, date_of(change.recorded_at))
    return (
        sa.select(change.id)
        .where(change.proposal_id == Proposal.id, change.status.in_(statuses), span.within(day))
        .exists()
    )


def submitted_within(span: Span) -> sa.ColumnElement:
    """Submitted in the period: the submission date falls in it, or the history reaches a submitted (or later)
    status in it. A proposal funded since counts among those submitted."""
    return sa.or_(span.within(Proposal.submitted_on), _changed_within(span, SUBMITTED_STATUSES))


def funded_within(span: Span) -> sa.ColumnElement:
    """Funded in the period: approved by a change dated in it, or by a decision dated in it."""
    decided = sa.and_(Proposal.status == ProposalStatus.APPROVED, span.within(Proposal.decision_on))
    return sa.or_(decided, _changed_within(span, (ProposalStatus.APPROVED,)))


# The list's "what happened in the period" filter: proposals submitted, or funded, in it.
EVENTS = {"submitted": submitted_within, "funded": funded_within}
# Status groups the list offers beside single statuses: still being prepared (whose deadline matters: the
# deadlines ahead, My work, the calendar feed); open (not yet decided: "in the pipeline", as the report counts it).
PREPARING = (ProposalStatus.IDEA, ProposalStatus.IN_PREPARATION)
OPEN = (*PREPARING, ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW)
GROUPS = {"preparing": PREPARING, "open": OPEN}
GROUP_LABELS = {
    "preparing": _l("Being prepared (idea or in preparation)"),
    "open": _l("Open: not yet decided (pipeline)"),
}


def listed(stmt: sa.Select, centre_ids, status: str | None, text: str | None, span: Span, event=None) -> sa.Select:
    """The proposals list: of ``centre_ids`` (None: all), recorded by the period's end, filtered by the status each
    had at that end (``statuses_at``; a group of ``GROUPS``), by what happened to them in the period
    (``event``: submitted, funded) and by words of the title."""
    as_at = statuses_at(span, of_centres(centre_ids))
    stmt = in_centres(stmt.join(as_at, as_at.c.entity_id == Proposal.id), centre_ids)
    if status in {s.value for s in ProposalStatus}:
        stmt = stmt.where(as_at.c.status == ProposalStatus(status))
    elif status in GROUPS:
        stmt = stmt.where(as_at.c.status.in_(GROUPS[status]))
    if event in EVENTS:
        stmt = stmt.where(EVENTS[event](span))
    text = (text or "").strip()
    if text:
        stmt = stmt.where(Proposal.title.ilike(f"%{text}%"))
    return stmt


def pipeline_buckets(span: Span, among: sa.Select | None = None) -> list[sa.Row]:
    """Per (centre, status at the period's end, requested currency, awarded currency, probability set by staff or
    None): proposals, requested and awarded sums, of the proposals ``among`` selects (a select of ids; None: every
    proposal), through their statuses (``statuses_at``). The expected value (``Pipeline``) is weighed from these in
    Python, exactly."""
    as_at = statuses_at(span, among)
    status = as_at.c.status
    keys = (Proposal.centre_id, status, Proposal.requested_currency, Proposal.awarded_currency, Proposal.probability)
    stmt = (
        sa.select(
            *keys[:1],
            status.label("status"),
            *keys[2:],
            sa.func.count().label("proposals"),
            exact_sum(Proposal.requested_amount).label("requested"),
            exact_sum(Proposal.awarded_amount).label("awarded"),
        )
        .join(as_at, as_at.c.entity_id == Proposal.id)
        .group_by(*keys)
    )
    return db.session.execute(stmt).all()


class Pipeline:
    """Proposals counted, and their amounts summed per currency: requested; expected (the request weighed by its
    chance, or the award once approved with one); awarded."""

    def __init__(self):
        self.proposals = 0
        self.requested: dict[str, Decimal] = defaultdict(Decimal)
        self.expected: dict[str, Decimal] = defaultdict(Decimal)
        self.awarded: dict[str, Decimal] = defaultdict(Decimal)

    def add(self, row) -> None:
        """One ``pipeline_buckets`` row."""
        status = ProposalStatus(row.status)
        self.proposals += row.proposals
        awarded = status == ProposalStatus.APPROVED and row.awarded_currency and row.awarded
        if awarded:
            self.awarded[row.awarded_currency] += row.awarded
            self.expected[row.awarded_currency] += row.awarded
        if row.requested_currency and row.requested:
            self.requested[row.requested_currency] += row.requested
            if not awarded:
                chance = row.probability if row.probability is not None else DEFAULT_PROBABILITY.get(status, 0)
                self.expected[row.requested_currency] += row.requested * chance / 100

    def converted(self, converter: Converter) -> dict[str, ConvertedTotal]:
        """Requested, expected and awarded, converted at the plan's fallback date: proposals are not booked on a
        day."""

        def total(sums: dict[str, Decimal]) -> ConvertedTotal:
            return converter.total(((code, None, amount) for code, amount in sums.items()), at_fallback=True)

        return {"requested": total(self.requested), "expected": total(self.expected), "awarded": total(self.awarded)}

    def currencies(self) -> set[tuple[str, None]]:
        """The (currency, no month) keys a converter needs for these sums."""
        return {(code, None) for sums in (self.requested, self.expected, self.awarded) for code in sums}


def list_pipeline(listed_stmt: sa.Select, span: Span) -> Pipeline:
    """The pipeline sums of a list's proposals (``listed``): what a dashboard's figure linking to it shows."""
    pipeline = Pipeline()
    for row in pipeline_buckets(span, listed_stmt.with_only_columns(Proposal.id).order_by(None)):
        pipeline.add(row)
    return pipeline


def in_period(stmt: sa.Select, period: ReportingPeriod | None) -> sa.Select:
    if period is None:
        return stmt
    start, end = period.starts_on, period.ends_on
    return stmt.where(
        sa.or_(
            Proposal.submitted_on.between(start, end),
            Proposal.decision_on.between(start, end),
            sa.and_(Proposal.submitted_on.is_(None), Proposal.decision_on.is_(None)),
        )
    )


@dataclass
class StatusColumn:
    """One column of the board: the status, its proposals, and per currency the requested and expected sums."""

    status: ProposalStatus
    proposals: list[Proposal] = field(default_factory=list)
    requested: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    expected: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unpriced: int = 0  # proposals without a requested amount
    converted: ConvertedTotal | None = None

    @property
    def count(self) -> int:
        return len(self.proposals)

    def requested_money(self) -> list[Money]:
        return [Money(amount, code) for code, amount in sorted(self.requested.items())]

    def expected_money(self) -> list[Money]:
        return [Money(amount, code) for code, amount in sorted(self.expected.items())]


def board(centre_ids: set[int] | None, target: str, today: date) -> list[StatusColumn]:
    """Every proposal in scope grouped by status (one query), with totals converted to ``target`` (two more)."""
    proposals = (
        db.session.scalars(
            in_centres(sa.select(Proposal), centre_ids).order_by(
                Proposal.deadline_on.is_(None), Proposal.deadline_on, Proposal.id
            )
        )
        .unique()
        .all()
    )
    columns = {status: StatusColumn(status) for status in ProposalStatus}
    for proposal in proposals:
        column = columns[proposal.status]
        column.proposals.append(proposal)
        if proposal.requested is None:
            column.unpriced += 1
        else:
            column.requested[proposal.requested.currency] += proposal.requested.amount
        expected = proposal.expected_value
        if expected is not None:
            column.expected[expected.currency] += expected.amount
    converter = Converter.load(
        RatePlan("end", target, today), {(c, None) for col in columns.values() for c in col.expected}
    )
    for column in columns.values():
        column.converted = converter.total((code, None, amount) for code, amount in column.expected.items())
    return list(columns.values())


@dataclass(frozen=True)
class Deadline:
    due_on: date
    days_left: int
    label: str
    proposal: Proposal | None = None
    mechanism: FundingMechanism | None = None

    @property
    def window(self) -> int:
        """The first of 30, 60, 90 days it falls within."""
        return next(w for w in WINDOWS if self.days_left <= w)


def _deadline_between(start: date, end: date | None) -> sa.ColumnElement:
    """Still being prepared, with a deadline from ``start`` to ``end`` (None: any time after)."""
    deadline = Proposal.deadline_on >= start if end is None else Proposal.deadline_on.between(start, end)
    return sa.and_(Proposal.status.in_(PREPARING), deadline)


def _past_deadline(today: date) -> sa.ColumnElement:
    """Past its deadline still in preparation: submitted late, or the status was not updated. (An idea whose
    deadline passed was simply not pursued.)"""
    return sa.and_(Proposal.status == ProposalStatus.IN_PREPARATION, Proposal.deadline_on < today)


def _by_deadline(centre_ids, condition) -> sa.Select:
    stmt = sa.select(Proposal).where(condition).options(joinedload(Proposal.centre), joinedload(Proposal.funder))
    return in_centres(stmt, centre_ids).order_by(Proposal.deadline_on, Proposal.id)


def due_between(centre_ids, start: date, end: date | None) -> sa.Select:
    """Proposals still being prepared whose deadline falls from ``start`` to ``end``, soonest first."""
    return _by_deadline(centre_ids, _deadline_between(start, end))


def past_deadline(centre_ids, today: date) -> sa.Select:
    """Proposals past their deadline still in preparation, the longest overdue first."""
    return _by_deadline(centre_ids, _past_deadline(today))


def calls_between(start: date, end: date | None) -> list[tuple[date, CallDeadline]]:
    """Funders' call deadlines (network-wide) next falling from ``start`` to ``end`` (None: any time after), yearly
    ones on their next date, soonest first; one query."""
    one_off = CallDeadline.due_on >= start if end is None else CallDeadline.due_on.between(start, end)
    calls = db.session.scalars(
        sa.select(CallDeadline)
        .options(joinedload(CallDeadline.mechanism).joinedload(FundingMechanism.funder))
        .where(CallDeadline.is_yearly | one_off)
    ).all()
    found = [(call.next_on(start), call) for call in calls]
    return sorted(
        ((day, call) for day, call in found if day and (end is None or day <= end)), key=lambda x: (x[0], x[1].id)
    )


def deadlines_ahead(centre_ids: set[int] | None, today: date, horizon: int = WINDOWS[-1]) -> list[Deadline]:
    """The deadlines of proposals being prepared and the funders' call deadlines in the next ``horizon`` days (two
    queries)."""
    last = today + timedelta(days=horizon)
    proposals = db.session.scalars(due_between(centre_ids, today, last)).unique().all()
    found = [Deadline(p.deadline_on, (p.deadline_on - today).days, p.title, proposal=p) for p in proposals]
    for due, call in calls_between(today, last):
        found.append(Deadline(due, (due - today).days, call.label, mechanism=call.mechanism))
    return sorted(found, key=lambda d: (d.due_on, d.label))


def due_items(centre_ids, today: date, until: date | None) -> list[DueItem]:
    """What is due of the proposals: their deadlines until ``until`` (None: all ahead) and those already missed,
    and the funders' call deadlines (network-wide); two queries."""
    condition = sa.or_(_deadline_between(today, until), _past_deadline(today))
    proposals = db.session.scalars(_by_deadline(centre_ids, condition)).unique()
    items = [
        DueItem.of(
            p,
            uid=f"proposal-deadline-{p.id}",
            kind=_l("Proposal deadline"),
            title=p.title,
            due=PartialDate(p.deadline_on),
            endpoint="proposals.show",
            record_args=(("proposal_id", p.id),),
            detail=f"{p.funder.acronym or p.funder.name} · {p.status.label}",
        )
        for p in proposals
    ]
    for due, call in calls_between(today, until):
        mechanism = call.mechanism
        items.append(
            DueItem(
                uid=f"call-deadline-{call.id}",
                kind=_l("Call deadline"),
                title=f"{mechanism.display_name}: {call.label}",
                due=PartialDate(due),
                endpoint="proposals.funders",
                record_args=(("_anchor", f"mechanism-{mechanism.id}"),),
                detail=_("Every year") if call.is_yearly else "",
                yearly_since=call.due_on if call.is_yearly else None,
                changed_at=call.updated_at,
                revision=call.version,
            )
        )
    return items


def proposal_counts(centre_id: int, period: ReportingPeriod | None = None) -> dict:
    """What the report's "Project proposals submitted" row cites, from one GROUP BY.

    Returns ``{"by_status": {ProposalStatus: int}, "submitted": int, "in_preparation": int,
    "funders": {ProposalStatus: [funder acronym or name, ...]}}``; "submitted" counts every proposal that was
    submitted, whatever became of it (under review, approved, rejected).
    """
    funder = sa.func.coalesce(sa.func.nullif(Organisation.acronym, ""), Organisation.name)
    stmt = (
        sa.select(Proposal.status, funder, sa.func.count())
        .join(Organisation, Organisation.id == Proposal.funder_id)
        .where(Proposal.centre_id == centre_id)
        .group_by(Proposal.status, funder)
        .order_by(funder)
    )
    by_status: dict[ProposalStatus, int] = defaultdict(int)
    funders: dict[ProposalStatus, list[str]] = defaultdict(list)
    for status, name, count in db.session.execute(in_period(stmt, period)):
        by_status[status] += count
        funders[status].append(name)
    return {
        "by_status": dict(by_status),
        "submitted": sum(n for status, n in by_status.items() if status.was_submitted),
        "in_preparation": by_status.get(ProposalStatus.IN_PREPARATION, 0),
        "funders": dict(funders),
    }


def mechanisms_with_funders() -> list[FundingMechanism]:
    return (
        db.session.scalars(
            sa.select(FundingMechanism)
            .join(Organisation, Organisation.id == FundingMechanism.funder_id)
            .options(selectinload(FundingMechanism.deadlines))
            .order_by(Organisation.name, FundingMechanism.name)
        )
        .unique()
        .all()
    )
