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
from sqlalchemy.orm import joinedload, selectinload

from crm.centres.models import ReportingPeriod
from crm.core.periods import Span, date_of, latest_as_at
from crm.extensions import db
from crm.money import Money
from crm.money.conversion import ConvertedSum, RateBook, sum_converted
from crm.partners.models import Organisation
from crm.proposals.models import CallDeadline, FundingMechanism, Proposal, ProposalStatus, ProposalStatusChange

WINDOWS = (30, 60, 90)


def in_centres(stmt: sa.Select, centre_ids: set[int] | None) -> sa.Select:
    return stmt if centre_ids is None else stmt.where(Proposal.centre_id.in_(centre_ids))


def statuses_at(span: Span) -> sa.Subquery:
    """(entity_id, status) of every proposal recorded by the span's end, with the status its history gives then
    (a change without a date counts from the day it was recorded)."""
    if span.ends_on is None:
        return sa.select(Proposal.id.label("entity_id"), Proposal.status.label("status")).subquery("as_at")
    change = ProposalStatusChange
    day = sa.func.coalesce(change.changed_on, date_of(change.recorded_at))
    return latest_as_at(change.proposal_id, day, change.status, span, change.id)


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
    converted: ConvertedSum | None = None

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
    currencies = {code for c in columns.values() for code in c.expected} | {target}
    book = RateBook.load(currencies, today, today)
    for column in columns.values():
        column.converted = sum_converted(
            [book.try_convert(money, target, today) for money in column.expected_money()], target
        )
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


def deadlines_ahead(centre_ids: set[int] | None, today: date, horizon: int = WINDOWS[-1]) -> list[Deadline]:
    """Open proposals' own deadlines and the funders' call deadlines in the next ``horizon`` days (two queries)."""
    last = today + timedelta(days=horizon)
    open_statuses = (ProposalStatus.IDEA, ProposalStatus.IN_PREPARATION)
    proposals = (
        db.session.scalars(
            in_centres(sa.select(Proposal), centre_ids).where(
                Proposal.status.in_(open_statuses), Proposal.deadline_on.between(today, last)
            )
        )
        .unique()
        .all()
    )
    found = [Deadline(p.deadline_on, (p.deadline_on - today).days, p.title, proposal=p) for p in proposals]
    calls = db.session.scalars(
        sa.select(CallDeadline)
        .options(joinedload(CallDeadline.mechanism))
        .where(sa.or_(CallDeadline.is_yearly, CallDeadline.due_on.between(today, last)))
    ).all()
    for call in calls:
        due = call.next_on(today)
        if due is not None and due <= last:
            found.append(Deadline(due, (due - today).days, call.label, mechanism=call.mechanism))
    return sorted(found, key=lambda d: (d.due_on, d.label))


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
