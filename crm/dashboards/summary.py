"""The dashboards' figures, built top to bottom for a scope (centres and a period) and a rate plan.

``build`` reads each register through the queries of the domain that owns it (agreements, proposals, experts,
the ledger; partnerships in ``crm.dashboards.queries``) as it stood at the period's end, and the ledger's money
pledged, committed and received in the period per (currency, rate month) bucket. It then loads every rate the
page needs into one ``Converter`` and converts each bucket at its month's rate (``crm.money.totals``): the tests
hold every cell to converting each record one by one. It reads no request: the views pass the scope and the plan.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from itertools import product

from flask_babel import gettext as _

from crm.agreements import queries as agreement_queries
from crm.agreements.models import AgreementStatus
from crm.core.templating import format_quarter
from crm.dashboards import queries
from crm.dashboards.charts import Series, bar_chart, column_chart
from crm.dashboards.queries import LIST_LIMIT, Scope, short
from crm.experts.queries import roster_counts_by_centre
from crm.funding.models import Category, Kind, Measure
from crm.funding.queries import cells_of, ledger_buckets, own_rate_records
from crm.money.totals import ConvertedTotal, Converter, LeftOut, RatePlan, month_start
from crm.partners.models import Stage as PartnershipStage
from crm.partners.models import shown_type_name
from crm.proposals import queries as proposal_queries
from crm.proposals.models import ProposalStatus
from crm.proposals.queries import Pipeline

MEASURES = tuple(Measure)
FINANCIAL = {"kind": Kind.FINANCIAL}
# Proposal deadlines and funders' calls this close are shown as coming up.
HORIZON_DAYS = 90


class Quarter(str):
    """A quarter row, "2025 Q3" (what its figures' links filter on), labelled in the reader's language."""

    @property
    def label(self) -> str:
        return format_quarter(int(self[:4]), int(self[-1]))


def quarter_of(month: str) -> Quarter:
    return Quarter(f"{month[:4]} Q{(int(month[5:7]) - 1) // 3 + 1}")


# --- money tables ------------------------------------------------------------------------------


@dataclass
class MoneyTable:
    """Rows × (pledged, committed, received) of converted totals, and outstanding (committed − received)."""

    target: str
    rows: list
    cells: dict[tuple, ConvertedTotal]

    def cell(self, row, measure: Measure | str) -> ConvertedTotal:
        return self.cells.get((row, str(measure))) or ConvertedTotal(self.target)

    def outstanding(self, row) -> ConvertedTotal:
        return self.cell(row, Measure.COMMITTED).minus(self.cell(row, Measure.RECEIVED))

    @cached_property
    def _columns(self) -> dict[str, ConvertedTotal]:
        columns = {str(m): ConvertedTotal(self.target) for m in MEASURES}
        for row in self.rows:
            for measure in MEASURES:
                columns[str(measure)] += self.cell(row, measure)
        return columns

    def column_total(self, measure: Measure | str) -> ConvertedTotal:
        return self._columns[str(measure)]

    def total_outstanding(self) -> ConvertedTotal:
        return self.column_total(Measure.COMMITTED).minus(self.column_total(Measure.RECEIVED))


def money_table(converter: Converter, rows: list, cells: dict) -> MoneyTable:
    target = converter.plan.target
    converted = {key: ConvertedTotal.of(target, buckets, converter.of_bucket) for key, buckets in cells.items()}
    return MoneyTable(target, rows, converted)


# --- proposals ---------------------------------------------------------------------------------


@dataclass
class ProposalLine:
    status: ProposalStatus | None  # None: a centre's proposals of every status
    proposals: int = 0
    requested: ConvertedTotal | None = None
    expected: ConvertedTotal | None = None
    awarded: ConvertedTotal | None = None


def line_of(pipeline: Pipeline, status: ProposalStatus | None, converter: Converter) -> ProposalLine:
    return ProposalLine(status, pipeline.proposals, **pipeline.converted(converter))


def pipeline(rows, converter: Converter) -> tuple[dict, dict]:
    """({status: ProposalLine} in status order, {centre_id: ProposalLine} over every status)."""
    statuses: dict[ProposalStatus, Pipeline] = defaultdict(Pipeline)
    centres: dict[int, Pipeline] = defaultdict(Pipeline)
    for row in rows:
        statuses[ProposalStatus(row.status)].add(row)
        centres[row.centre_id].add(row)
    ordered = [s for s in ProposalStatus if s in statuses]
    return (
        {status: line_of(statuses[status], status, converter) for status in ordered},
        {centre_id: line_of(line, None, converter) for centre_id, line in centres.items()},
    )


# --- goods, services and time ------------------------------------------------------------------


@dataclass
class InKindLine:
    kind: Kind
    unit: str
    entries: int
    quantity: Decimal | None
    valuation: ConvertedTotal
    unvalued: int


def in_kind_lines(rows, special, converter: Converter) -> list[InKindLine]:
    """Per (kind, unit) of goods, services and time committed (pledges are not given yet): entries, quantity,
    valuation converted, entries not valued."""
    committed = [r for r in rows if r.kind != Kind.FINANCIAL and r.measure == Measure.COMMITTED]
    tallies: dict[tuple[str, str], list] = {}
    for row in committed:
        tally = tallies.setdefault((row.kind, row.unit), [0, None, 0])
        tally[0] += row.entries
        if row.quantity is not None:
            tally[1] = (tally[1] or 0) + row.quantity
        if not row.currency:
            tally[2] += row.entries
    cells = cells_of(committed, [r for r in special if r.kind != Kind.FINANCIAL], lambda r: (r.kind, r.unit))
    target = converter.plan.target
    return [
        InKindLine(
            Kind(kind),
            unit,
            entries,
            quantity,
            ConvertedTotal.of(target, cells.get(((kind, unit), str(Measure.COMMITTED)), {}), converter.of_bucket),
            unvalued,
        )
        for (kind, unit), (entries, quantity, unvalued) in sorted(tallies.items())
    ]


# --- the dashboard -----------------------------------------------------------------------------


@dataclass
class Flags:
    """Data-quality findings: each one a count, with the records behind it where there are some."""

    left_out: LeftOut = LeftOut([], [])
    stalled: tuple[list, int] = ([], 0)
    overdue: tuple[list, int] = ([], 0)

    @property
    def count(self) -> int:
        return len(self.left_out.currencies) + self.stalled[1] + self.overdue[1]


@dataclass
class Dashboard:
    scope: Scope
    plan: RatePlan
    centres: list
    partnerships: dict  # (centre_id, type_code, stage) -> count
    partnership_types: list  # (code, name) ordered
    agreements: dict  # (centre_id, status) -> count
    awaiting: tuple[list, int]
    coming_up: tuple[list, int]
    proposals: dict  # status -> ProposalLine
    proposals_by_centre: dict  # centre_id -> ProposalLine over every status
    resources_by_centre: MoneyTable
    resources_by_category: MoneyTable
    resources_by_quarter: MoneyTable
    in_kind: list[InKindLine]
    deadlines: tuple[list, int]
    calls: list
    experts: dict
    flags: Flags
    shared: tuple[list, int] = ([], 0)

    @property
    def statement(self) -> str:
        return self.plan.statement()

    @cached_property
    def _partnership_totals(self) -> dict[tuple, int]:
        return marginals(self.partnerships)

    @cached_property
    def _agreement_totals(self) -> dict[tuple, int]:
        return marginals(self.agreements)

    def partnership_count(self, centre_id=None, type_code=None, stage=None) -> int:
        """Partnerships of one centre, type or stage, or of any combination: None counts them all."""
        return self._partnership_totals.get((centre_id, type_code, stage), 0)

    def agreement_count(self, centre_id=None, status=None) -> int:
        return self._agreement_totals.get((centre_id, status), 0)

    def awaiting_count(self, centre_id: int) -> int:
        """Open agreements of one centre (on their way to signature) at the period's end."""
        return sum(n for (c, s), n in self.agreements.items() if c == centre_id and s.is_open)

    def proposal_count(self) -> int:
        return sum(line.proposals for line in self.proposals.values())

    def proposal_total(self, field_name: str) -> ConvertedTotal:
        """One column of the proposals (requested, expected or awarded) over every status."""
        total = ConvertedTotal(self.plan.target)
        for line in self.proposals.values():
            total += getattr(line, field_name)
        return total

    def partnership_stages(self) -> list[PartnershipStage]:
        return list(PartnershipStage)

    def agreement_statuses(self) -> list[AgreementStatus]:
        return [s for s in AgreementStatus if self.agreement_count(status=s)]

    def expert_totals(self):
        """The experts of every centre in view added up: total, domestic, foreign, undetermined, per target."""
        totals = {"total": 0, "domestic": 0, "foreign": 0, "undetermined": 0}
        targets: dict[int, int] = defaultdict(int)
        for counts in self.experts.values():
            for key in totals:
                totals[key] += getattr(counts, key)
            for target, n in counts.by_target.items():
                targets[target] += n
        return totals, dict(sorted(targets.items()))


def marginals(counts: dict[tuple, int]) -> dict[tuple, int]:
    """Every partial sum of ``counts``, keyed alike with None for what is summed over: (a, None, c) counts
    every key (a, any, c)."""
    totals: dict[tuple, int] = defaultdict(int)
    for key, n in counts.items():
        for partial in product(*((part, None) for part in key)):
            totals[partial] += n
    return totals


def build(scope: Scope, plan: RatePlan) -> Dashboard:
    """Every figure of a dashboard: the same statements whatever the data size."""
    span, ids, today = scope.span, scope.centre_ids, scope.today
    soon = today + timedelta(days=HORIZON_DAYS)
    centres = queries.centres(scope)
    by_centre = ledger_buckets(span, ids, ("centre_id", "measure"), where=FINANCIAL)
    by_category = ledger_buckets(span, ids, ("category", "measure"), where=FINANCIAL)
    by_month = ledger_buckets(span, ids, ("month", "measure"), where=FINANCIAL)
    by_unit = ledger_buckets(span, ids, ("kind", "unit", "measure"), units=True)
    proposal_rows = proposal_queries.pipeline_buckets(span, proposal_queries.of_centres(ids))

    months = {(r.currency, month_start(r.rate_month)) for rows in (by_centre, by_month, by_unit) for r in rows}
    keys = months | {(code, None) for r in proposal_rows for code in (r.requested_currency, r.awarded_currency) if code}
    converter = Converter.load(plan, keys)
    varying = {(code, first.isoformat()[:7]) for code, first in converter.varying(months)}
    special = own_rate_records(span, ids, varying)
    money = [r for r in special if r.kind == Kind.FINANCIAL]

    resources_by_centre = money_table(
        converter, [c.id for c in centres], cells_of(by_centre, money, lambda r: r.centre_id)
    )
    categories = cells_of(by_category, money, lambda r: Category(r.category))
    resources_by_category = money_table(
        converter, [c for c in Category if any((c, m) in categories for m in MEASURES)], categories
    )
    quarters = cells_of(by_month, money, lambda r: quarter_of(r.month))
    resources_by_quarter = money_table(converter, sorted({row for row, _ in quarters}), quarters)
    in_kind = in_kind_lines(by_unit, special, converter)
    proposals, proposals_by_centre = pipeline(proposal_rows, converter)

    left_out = LeftOut.of(
        *(resources_by_centre.column_total(measure) for measure in MEASURES),
        *(total for line in proposals.values() for total in (line.requested, line.expected, line.awarded)),
        *(line.valuation for line in in_kind),
    )

    partnership_rows = queries.partnership_counts(scope)
    types = sorted({(r.code, r.name, r.position) for r in partnership_rows}, key=lambda t: (t[2], t[1]))
    return Dashboard(
        scope=scope,
        plan=plan,
        centres=centres,
        partnerships={(r.centre_id, r.code, r.stage): r[5] for r in partnership_rows},
        partnership_types=[(code, shown_type_name(name)) for code, name, _ in types],
        agreements={(centre_id, status): n for centre_id, status, n in agreement_queries.status_counts(ids, span)},
        awaiting=short(agreement_queries.awaiting_action(ids)),
        coming_up=short(agreement_queries.coming_up(ids, today)),
        proposals=proposals,
        proposals_by_centre=proposals_by_centre,
        resources_by_centre=resources_by_centre,
        resources_by_category=resources_by_category,
        resources_by_quarter=resources_by_quarter,
        in_kind=in_kind,
        deadlines=short(proposal_queries.due_between(ids, today, soon)),
        calls=proposal_queries.calls_between(today, soon)[:LIST_LIMIT],
        experts=roster_counts_by_centre(None if ids is None else sorted(ids), span),
        flags=Flags(
            left_out, short(agreement_queries.stalled(ids, today)), short(proposal_queries.past_deadline(ids, today))
        ),
        shared=queries.shared_organisations(scope) if ids is None else ([], 0),
    )


def charts(d: Dashboard, *, network: bool) -> dict:
    """The dashboard's charts as SVG; each has the same numbers in a table on the page."""
    target = d.plan.target
    quarters = d.resources_by_quarter
    result = {
        "quarters": column_chart(
            _("Resources by quarter, %(currency)s", currency=target),
            [q.label for q in quarters.rows],
            [Series(m.label, [quarters.cell(q, m).total.amount for q in quarters.rows]) for m in MEASURES],
            value_axis=target,
            category_axis=_("Quarter"),
        ),
        "categories": bar_chart(
            _("Resources committed by category, %(currency)s", currency=target),
            [c.label for c in d.resources_by_category.rows],
            [d.resources_by_category.cell(c, Measure.COMMITTED).total.amount for c in d.resources_by_category.rows],
            value_axis=target,
            category_axis=_("Category"),
        ),
        "partnerships": bar_chart(
            _("Partnerships by organisation type"),
            [name for _, name in d.partnership_types],
            [d.partnership_count(type_code=code) for code, _ in d.partnership_types],
            value_axis=_("Partnerships"),
            category_axis=_("Organisation type"),
        ),
        "proposals": bar_chart(
            _("Proposals by status"),
            [status.label for status in d.proposals],
            [line.proposals for line in d.proposals.values()],
            value_axis=_("Proposals"),
            category_axis=_("Status"),
        ),
    }
    targets = d.expert_totals()[1]
    tagged = {n: count for n, count in targets.items() if count}
    result["targets"] = bar_chart(
        _("Experts per KMGBF target"),
        [_("Target %(number)s", number=n) for n in tagged],
        list(tagged.values()),
        value_axis=_("Experts"),
        category_axis=_("KMGBF target"),
    )
    if network:
        table = d.resources_by_centre
        result["centres"] = column_chart(
            _("Resources per centre, %(currency)s", currency=target),
            [c.code for c in d.centres],
            [Series(m.label, [table.cell(c.id, m).total.amount for c in d.centres]) for m in MEASURES],
            value_axis=target,
            category_axis=_("Centre"),
            width=max(640, 48 * len(d.centres)),
        )
    return result
