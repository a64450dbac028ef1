"""The dashboards' tables as rows of plain values, for their CSV and XLSX downloads.

Each table is the one the page shows, built from the same ``Dashboard`` (``crm.dashboards.summary.build``, for
the same scope and rate plan, read from the page's own query string), row for row and figure for figure: a
converted figure is its total as the page rounds it (an amount in the page's currency, which has a column of
its own), with, per row, what could not be converted and why (never 0), and the rates used, each with its value,
source and date, as the page's "rates used" cites them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from crm.centres.models import Centre, ReportingPeriod
from crm.dashboards.filters import FilterResult, read_filters
from crm.dashboards.queries import Scope
from crm.dashboards.summary import MEASURES, Dashboard, build
from crm.extensions import db
from crm.interchange.reading import MAX_CELL_CHARS
from crm.interchange.writing import Amount
from crm.money.totals import ConvertedTotal, RatePlan

OUTSTANDING = "Outstanding"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Built:
    """A dashboard as its page builds it from the query string: the figures and the filters they were read with."""

    dashboard: Dashboard
    result: FilterResult
    network: bool
    centre: Centre | None


def build_dashboard(args: MultiDict, centre: Centre | None, today: date) -> Built:
    """The centre dashboard of ``centre`` (the network's with None) for the page's query string ``args``: the same
    filters, scope and rate plan as the page (``crm.dashboards.views.render_dashboard``)."""
    if centre is None:
        periods = db.session.scalars(sa.select(ReportingPeriod)).all()
        default_currency = "USD"
    else:
        periods, default_currency = list(centre.periods), centre.reporting_currency
    result = read_filters(args, default_currency=default_currency, periods=periods, today=today)
    filters = result.filters
    scope = Scope(
        centre_ids=None if centre is None else frozenset({centre.id}),
        starts_on=filters.starts_on,
        ends_on=filters.ends_on,
        today=today,
        period=filters.period,
    )
    plan = RatePlan(filters.rates, filters.currency, filters.ends_on or today)
    return Built(build(scope, plan), result, centre is None, centre)


# --- converted figures -----------------------------------------------------------------------------------


class Figures:
    """The converted figures of one row: each as its cell, and what the row's "not converted" and "rates used"
    cells say about them."""

    def __init__(self, target: str):
        self.target = target
        self.missing: list[str] = []
        self.rates: dict[str, None] = {}

    def cell(self, label: str, total: ConvertedTotal | None):
        """The figure as the page shows it: its rounded total; none when there is nothing (—) or nothing could be
        converted (the row's "not converted" cell says why)."""
        if total is None or total.is_empty:
            return None
        self.missing += [f"{label}: {line}" for line in total.not_converted()]
        for citation in total.citations():
            self.rates[f"{citation.currency} → {self.target}: {citation.factors()} ({citation.words()})"] = None
        if total.converted_nothing:
            return None
        return Amount(total.total.amount, self.target)

    def tail(self) -> list:
        """The row's last cells: the currency of its figures, what was not converted, the rates used."""
        return [self.target, "\n".join(self.missing) or None, _capped(list(self.rates))]


TAIL = ["Currency", "Not converted", "Rates used"]


def _capped(lines: list[str]) -> str | None:
    """The rates used, one a line, within what a spreadsheet cell holds (the page cites the rest)."""
    text, kept = "", 0
    for line in lines:
        if len(text) + len(line) + 80 > MAX_CELL_CHARS:
            return f"{text}\n… and {len(lines) - kept} more rates: the dashboard cites each one."
        text, kept = f"{text}\n{line}" if text else line, kept + 1
    return text or None


def _money_rows(d: Dashboard, rows: Iterable, label: Callable, table) -> list[list]:
    """Rows × pledged, committed, received and outstanding, as the page's money tables show them."""
    result = []
    for row in rows:
        figures = Figures(d.plan.target)
        cells = [figures.cell(m.label, table.cell(row, m)) for m in MEASURES]
        cells.append(figures.cell(OUTSTANDING, table.outstanding(row)))
        result.append([label(row), *cells, *figures.tail()])
    return result


def _money_table(d: Dashboard, title: str, first: str, table, label: Callable) -> Table:
    rows = _money_rows(d, table.rows, label, table)
    if len(table.rows) > 1:
        figures = Figures(d.plan.target)
        cells = [figures.cell(m.label, table.column_total(m)) for m in MEASURES]
        cells.append(figures.cell(OUTSTANDING, table.total_outstanding()))
        rows.append(["Total", *cells, *figures.tail()])
    return Table(title, [first, *(m.label for m in MEASURES), OUTSTANDING, *TAIL], rows)


# --- the tables ------------------------------------------------------------------------------------------


def centres(d: Dashboard) -> Table:
    """The network's "Where every centre stands", its Network row last."""
    headers = ["Centre", "Partnerships", "Agreements", "Open agreements", "Proposals", "Expected value", "Awarded"]
    headers += [m.label for m in MEASURES] + [OUTSTANDING, "Experts", *TAIL]
    table, rows = d.resources_by_centre, []
    for centre in d.centres:
        pipeline = d.proposals_by_centre.get(centre.id)
        roster = d.experts.get(centre.id)
        figures = Figures(d.plan.target)
        rows.append(
            [
                centre.code,
                d.partnership_count(centre_id=centre.id),
                d.agreement_count(centre_id=centre.id),
                d.awaiting_count(centre.id),
                pipeline.proposals if pipeline else 0,
                figures.cell("Expected value", pipeline.expected if pipeline else None),
                figures.cell("Awarded", pipeline.awarded if pipeline else None),
                *(figures.cell(m.label, table.cell(centre.id, m)) for m in MEASURES),
                figures.cell(OUTSTANDING, table.outstanding(centre.id)),
                roster.total if roster else 0,
                *figures.tail(),
            ]
        )
    figures = Figures(d.plan.target)
    rows.append(
        [
            "Network",
            d.partnership_count(),
            d.agreement_count(),
            d.awaiting[1],
            d.proposal_count(),
            figures.cell("Expected value", d.proposal_total("expected")),
            figures.cell("Awarded", d.proposal_total("awarded")),
            *(figures.cell(m.label, table.column_total(m)) for m in MEASURES),
            figures.cell(OUTSTANDING, table.total_outstanding()),
            d.expert_totals()[0]["total"],
            *figures.tail(),
        ]
    )
    return Table("Centres", headers, rows)


def shared(d: Dashboard) -> Table:
    rows, _ = d.shared
    return Table(
        "Shared organisations",
        ["Organisation", "Acronym", "Centres engaging it"],
        [[row.name, row.acronym or None, row.centres] for row in rows],
    )


def partnerships(d: Dashboard) -> Table:
    stages = d.partnership_stages()
    rows = [
        [name, *(d.partnership_count(type_code=code, stage=s) for s in stages), d.partnership_count(type_code=code)]
        for code, name in d.partnership_types
    ]
    if d.partnership_types:
        rows.append(["Total", *(d.partnership_count(stage=s) for s in stages), d.partnership_count()])
    return Table("Partnerships", ["Organisation type", *(s.label for s in stages), "All"], rows)


def proposals(d: Dashboard) -> Table:
    rows = []
    for status, line in d.proposals.items():
        figures = Figures(d.plan.target)
        columns = (("Requested", line.requested), ("Expected value", line.expected), ("Awarded", line.awarded))
        money = [figures.cell(label, total) for label, total in columns]
        rows.append([status.label, line.proposals, *money, *figures.tail()])
    return Table("Proposals", ["Status", "Proposals", "Requested", "Expected value", "Awarded", *TAIL], rows)


def categories(d: Dashboard) -> Table:
    return _money_table(d, "Money by category", "Category", d.resources_by_category, lambda row: row.label)


def quarters(d: Dashboard) -> Table:
    return _money_table(d, "Money by quarter", "Quarter", d.resources_by_quarter, str)


def in_kind(d: Dashboard) -> Table:
    rows = []
    for line in d.in_kind:
        figures = Figures(d.plan.target)
        valuation = figures.cell("Valuation", line.valuation)
        rows.append(
            [line.kind.label, line.unit or None, line.entries, line.quantity, valuation, line.unvalued, *figures.tail()]
        )
    return Table("In kind", ["Kind", "Unit", "Entries", "Quantity", "Valuation", "Not valued", *TAIL], rows)


def experts(d: Dashboard) -> Table:
    totals, targets = d.expert_totals()
    rows = [["All experts", totals["total"]], ["Domestic", totals["domestic"]], ["Foreign", totals["foreign"]]]
    if totals["undetermined"]:
        rows.append(["Not determined", totals["undetermined"]])
    rows += [[f"Target {n}", count] for n, count in targets.items() if count]
    return Table("Experts", ["Experts", "Number"], rows)


def _agreements(title: str, listed: tuple[list, int]) -> Table:
    rows = [
        [a.centre.code, a.title, a.status.label, a.responsible or None, a.status_since, a.expiry, a.next_review]
        for a in listed[0]
    ]
    headers = ["Centre", "Agreement", "Status", "Responsible", "Since", "Expiry", "Next review"]
    return Table(title, headers, [[_partial(value) for value in row] for row in rows])


def _proposals(title: str, listed: tuple[list, int]) -> Table:
    rows = [
        [p.centre.code, p.title, p.funder.acronym or p.funder.name, p.status.label, p.deadline_on] for p in listed[0]
    ]
    return Table(title, ["Centre", "Proposal", "Funder", "Status", "Deadline"], rows)


def _partial(value):
    """A partial date (a month, a year) as the page writes it, in its own words; other values as they are."""
    return value.iso if hasattr(value, "precision") else value


def calls(d: Dashboard) -> Table:
    rows = [[call.label, call.mechanism.display_name, day] for day, call in d.calls]
    return Table("Funders' calls", ["Call", "Mechanism", "Due"], rows)


# Each table of a dashboard, by the name its download is asked for; the network's own first.
TABLES: dict[str, tuple[Callable[[Dashboard], Table], bool]] = {
    "centres": (centres, True),
    "shared": (shared, True),
    "partnerships": (partnerships, False),
    "proposals": (proposals, False),
    "categories": (categories, False),
    "quarters": (quarters, False),
    "in-kind": (in_kind, False),
    "experts": (experts, False),
    "awaiting": (lambda d: _agreements("Agreements awaiting action", d.awaiting), False),
    "coming-up": (lambda d: _agreements("Agreements expiring or due for review", d.coming_up), False),
    "stalled": (lambda d: _agreements("Agreements with no recent step", d.flags.stalled), False),
    "deadlines": (lambda d: _proposals("Proposal deadlines", d.deadlines), False),
    "overdue": (lambda d: _proposals("Proposals past their deadline", d.flags.overdue), False),
    "calls": (calls, False),
}


def table_of(built: Built, name: str) -> Table | None:
    """The dashboard's table called ``name``, or None when it has none of that name (the network's own tables are
    not on a centre's dashboard)."""
    found = TABLES.get(name)
    if found is None or (found[1] and not built.network):
        return None
    return found[0](built.dashboard)
