"""What counts in a period: one rule for every register, stated once, applied by each register's read model.

A record counts in a period (a reporting period, or any dates a page or a list is filtered by) through the date
that places it in time:

- **events** count when their date falls within the period: ledger entries and withdrawals by their booked
  date, tranches by the date received, agreement steps and proposal status changes by their date, interactions
  by theirs;
- **standing records** count when their date is on or before the period's end, as the register stood at that
  end: partnerships by the date they were engaged, experts by the date they were listed, agreements by their
  first step and proposals by their first status, each agreement and proposal with the status its dated history
  gives at the period's end;
- a date known only to the month or the year ("March 2026", "2025") counts from its first day.

So nothing dated after a period's end counts in it; a voided ledger record counts in no period. Both dashboards,
every list's date filter, the report's rows, its Part III figures and its annex use these read models
(``crm.funding.queries``, ``crm.partners.queries``, ``crm.agreements.queries``, ``crm.proposals.queries``,
``crm.experts.queries``), which build their conditions with ``Span``.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Dates a period may take: beyond these, a typed date is a mistake (9999-12-31), never a 500.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)


class SpanError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Span:
    """A period: from ``starts_on`` to ``ends_on`` inclusive, either open (None); ``label`` when it is a
    reporting period's."""

    starts_on: date | None = None
    ends_on: date | None = None
    label: str = ""

    @classmethod
    def of(cls, period) -> "Span":
        """The span of a reporting period."""
        return cls(period.starts_on, period.ends_on, period.label)

    @property
    def is_bounded(self) -> bool:
        return self.starts_on is not None or self.ends_on is not None

    def within(self, column) -> sa.ColumnElement:
        """Events: ``column`` (a date) falls in the span."""
        return sa.and_(
            column >= self.starts_on if self.starts_on else sa.true(),
            column <= self.ends_on if self.ends_on else sa.true(),
        )

    def by_end(self, column) -> sa.ColumnElement:
        """Standing records: ``column`` (a date) is on or before the span's end."""
        return column <= self.ends_on if self.ends_on else sa.true()

    def contains(self, day: date | None) -> bool:
        return (
            day is not None
            and (self.starts_on is None or day >= self.starts_on)
            and (self.ends_on is None or day <= self.ends_on)
        )

    def args(self) -> dict[str, str]:
        """The query arguments that filter a list to this span (its dates; the label travels for the heading)."""
        args = {}
        if self.starts_on:
            args["from"] = self.starts_on.isoformat()
        if self.ends_on:
            args["to"] = self.ends_on.isoformat()
        if self.label:
            args["period"] = self.label
        return args


def read_date(raw: str | None, field: str, label: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        if label == "start":
            message = _("“%(raw)s” is not a date: write the start as YYYY-MM-DD, e.g. 2025-01-31.", raw=raw[:40])
        else:
            message = _("“%(raw)s” is not a date: write the end as YYYY-MM-DD, e.g. 2025-01-31.", raw=raw[:40])
        raise SpanError(field, message) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        message = _(
            "%(day)s is outside the dates the records cover (%(first)s–%(last)s).",
            day=day.isoformat(),
            first=FIRST_DAY.year,
            last=LAST_DAY.year,
        )
        raise SpanError(field, message)
    return day


def period_spans(periods) -> dict[str, Span]:
    """Label → the span over the reporting periods bearing that label (centres may date them differently)."""
    spans: dict[str, Span] = {}
    for period in periods:
        known = spans.get(period.label)
        start, end = (period.starts_on, period.ends_on) if known is None else (known.starts_on, known.ends_on)
        spans[period.label] = Span(min(start, period.starts_on), max(end, period.ends_on), period.label)
    return spans


def read_span(args, periods=()) -> Span:
    """The span a list is filtered by: ``from`` and ``to`` dates, or a reporting period's ``period`` label.

    Dates win over a label (a dashboard's link carries both: the dates it counted and the label to show)."""
    starts_on, ends_on = read_date(args.get("from"), "from", "start"), read_date(args.get("to"), "to", "end")
    label = (args.get("period") or "").strip()
    if starts_on and ends_on and ends_on < starts_on:
        raise SpanError(
            "to",
            _(
                "The period ends (%(end)s) before it starts (%(start)s): swap the dates.",
                end=ends_on.isoformat(),
                start=starts_on.isoformat(),
            ),
        )
    spans = period_spans(periods)
    if starts_on or ends_on:
        return Span(starts_on, ends_on, label if label in spans else "")
    if label and label != "all":
        if label not in spans:
            if not spans:
                raise SpanError(
                    "period", _("There is no reporting period “%(label)s” (none recorded).", label=label[:40])
                )
            known = ", ".join(sorted(spans))
            raise SpanError(
                "period",
                _("There is no reporting period “%(label)s” (periods: %(known)s).", label=label[:40], known=known),
            )
        return spans[label]
    return Span()


def span_or_error(args, periods=()) -> tuple[Span, SpanError | None]:
    """``read_span`` for a list page: a refused date shows its message above the list, which shows every date."""
    try:
        return read_span(args, periods), None
    except SpanError as error:
        return Span(), error


class date_of(FunctionElement):  # noqa: N801 - used like sa.func.date
    """The day of a timestamp column, on either engine (what places a record dated only by when it was recorded)."""

    inherit_cache = True
    name = "date_of"
    type = sa.Date()


@compiles(date_of)
def _date_elsewhere(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(date_of, "sqlite")
def _date_on_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


def latest_as_at(entity_id, day, status, span: Span, *order, among: sa.Select | None = None) -> sa.Subquery:
    """Per ``entity_id``, the ``status`` of its latest dated change on or before the span's end (ties: the last
    recorded, by ``order``): the status a standing record had at the end of a period. ``among`` (a select of ids)
    ranks only those records' changes: a centre's page does not rank the whole network's history."""
    rank = sa.func.row_number().over(partition_by=entity_id, order_by=(day.desc(), *(o.desc() for o in order)))
    ranked = sa.select(entity_id.label("entity_id"), status.label("status"), rank.label("rank")).where(span.by_end(day))
    if among is not None:
        ranked = ranked.where(entity_id.in_(among))
    inner = ranked.subquery("ranked")
    return sa.select(inner.c.entity_id, inner.c.status).where(inner.c.rank == 1).subquery("as_at")
