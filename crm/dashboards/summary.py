"""The dashboards' figures: the query buckets rolled up per breakdown and converted, ready for the templates.

``build`` runs the same fixed list of queries (``crm.dashboards.queries``) for a centre
or the whole network, loads the rates once, and shapes the results. It reads no
request: the views pass the scope and the rate plan. Money is converted per
(currency, month) bucket at that month's rate, by Python (``Grid.add``, then
``Grid.convert``) or, on PostgreSQL, by the query itself (``Grid.add_converted``):
the tests hold both to converting every entry one by one.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import product

from crm.agreements.models import AgreementStatus
from crm.core.partial_dates import PartialDate
from crm.dashboards import queries
from crm.dashboards.charts import Series, bar_chart, column_chart
from crm.dashboards.queries import Scope
from crm.dashboards.totals import ConvertedTotal, Converter, RatePlan
from crm.funding.models import Category, Kind, Stage
from crm.money.conversion import Conversion, ConversionError
from crm.partners.models import Stage as PartnershipStage
from crm.proposals.models import ProposalStatus

STAGES = tuple(Stage)


def month_start(text: str | None) -> date | None:
    return date(int(text[:4]), int(text[5:7]), 1) if text else None


def quarter_of(month: date) -> str:
    return f"{month.year} Q{(month.month - 1) // 3 + 1}"


def partial(on: date | None, precision: str | None) -> PartialDate | None:
    return PartialDate(on, precision or "day") if on else None


class Grid:
    """A table of converted totals filled row by row: (row key, column key) → ConvertedTotal and entry count.

    Either ``add`` sums exact amounts per cell and (currency, month), and ``convert`` then makes each cell's
    ConvertedTotal with one multiplication per (currency, month); or ``add_converted`` takes what the database
    converted, a currency of a cell at a time."""

    def __init__(self, target: str):
        self.target = target
        self.buckets: dict[tuple, dict[tuple, Decimal]] = defaultdict(dict)
        self.counts: dict[tuple, int] = defaultdict(int)
        self.cells: dict[tuple, ConvertedTotal] = {}

    def add(self, row, column, currency: str, month: date | None, amount: Decimal, count: int) -> None:
        cell = (row, column)
        self.counts[cell] += count
        sums = self.buckets[cell]
        key = (currency, month)
        sums[key] = sums.get(key, 0) + amount

    def add_converted(self, row, column, currency: str, converted, amount, left_out, count: int, units, errors):
        """One currency's buckets of a cell converted in SQL (``queries.converted_buckets``), with the
        conversions its rates came from and those of the buckets left out."""
        cell = (row, column)
        self.counts[cell] += count
        total = self.cells.get(cell)
        if total is None:
            total = self.cells[cell] = ConvertedTotal(self.target)
        total.add_converted(currency, converted, amount, left_out, units, errors)

    def convert(self, unit: Callable[[tuple[str, date | None]], Conversion | ConversionError]) -> "Grid":
        target = self.target
        self.cells |= {cell: ConvertedTotal.of(target, sums, unit) for cell, sums in self.buckets.items()}
        return self

    def rows(self) -> list:
        return sorted({row for row, _ in self.counts})


@dataclass
class MoneyTable:
    """Rows × columns of converted totals, with row and column totals, as the templates show them."""

    target: str
    rows: list
    columns: list
    cells: dict[tuple, ConvertedTotal]
    counts: dict[tuple, int]

    @classmethod
    def of(cls, grid: Grid, rows: list, columns: list) -> "MoneyTable":
        return cls(grid.target, rows, columns, grid.cells, dict(grid.counts))

    def cell(self, row, column) -> ConvertedTotal:
        return self.cells.get((row, column)) or ConvertedTotal(self.target)

    def count(self, row, column) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row) -> ConvertedTotal:
        return self._total(("row", row), [self.cell(row, column) for column in self.columns])

    def column_total(self, column) -> ConvertedTotal:
        return self._total(("column", column), [self.cell(row, column) for row in self.rows])

    def grand_total(self) -> ConvertedTotal:
        return self._total(("grand",), [self.row_total(row) for row in self.rows])

    def _total(self, key: tuple, parts: list[ConvertedTotal]) -> ConvertedTotal:
        """A sum of cells, made once: the templates and charts ask for the same totals several times."""
        cache = self.__dict__.setdefault("_totals", {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = ConvertedTotal(self.target)
            for part in parts:
                found += part
        return found


@dataclass
class ProposalLine:
    status: ProposalStatus | None  # None: a centre's proposals of every status
    proposals: int = 0
    requested: ConvertedTotal | None = None
    expected: ConvertedTotal | None = None
    awarded: ConvertedTotal | None = None


@dataclass
class InKindLine:
    kind: Kind
    unit: str
    entries: int
    quantity: Decimal | None
    valuation: ConvertedTotal
    unvalued: int


@dataclass
class Flags:
    """Data-quality findings: each one a count, with the records behind it where there are some."""

    not_converted: list[str] = field(default_factory=list)
    stalled: tuple[list, int] = ([], 0)
    overdue: tuple[list, int] = ([], 0)
    undated_entries: int = 0

    @property
    def count(self) -> int:
        return len(self.not_converted) + self.stalled[1] + self.overdue[1] + self.undated_entries


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
    proposals_by_centre: dict  # centre_id -> ProposalLine over every status (network dashboard)
    resources_by_centre: MoneyTable  # centre × stage
    resources_by_category: MoneyTable  # category × stage
    resources_by_kind: MoneyTable  # kind × stage
    resources_by_quarter: MoneyTable  # quarter × stage
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
        """Open agreements of one centre (on their way to signature)."""
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
    every key (a, any, c). A page shows hundreds of them, each a dict lookup instead of a pass over the counts."""
    totals: dict[tuple, int] = defaultdict(int)
    for key, n in counts.items():
        for partial in product(*((part, None) for part in key)):
            totals[partial] += n
    return totals


def present(members, grid: Grid) -> list:
    """The members of an enum that have at least one bucket in ``grid``, in the enum's order."""
    return [m for m in members if any((m, stage) in grid.cells for stage in STAGES)]


class Pipeline:
    """Proposals counted, and their amounts summed per currency, for one line of the pipeline."""

    def __init__(self):
        self.proposals = 0
        self.requested: dict[str, Decimal] = defaultdict(Decimal)
        self.expected: dict[str, Decimal] = defaultdict(Decimal)
        self.awarded: dict[str, Decimal] = defaultdict(Decimal)

    def add(self, row) -> None:
        """One ``queries.proposal_buckets`` row: expected is the weighted request, or the award once approved."""
        self.proposals += row.proposals
        if row.requested_currency and row.requested:
            self.requested[row.requested_currency] += row.requested
        if row.requested_currency and row.weighted:
            self.expected[row.requested_currency] += row.weighted / 100
        if row.awarded_currency and row.awarded:
            self.awarded[row.awarded_currency] += row.awarded
            if row.status == ProposalStatus.APPROVED:
                self.expected[row.awarded_currency] += row.awarded

    def line(self, status: ProposalStatus | None, converter: Converter) -> ProposalLine:
        """Requested and expected amounts are converted at the fallback date: they are not booked on a day."""

        def total(sums: dict[str, Decimal]) -> ConvertedTotal:
            return converter.total(((code, None, amount) for code, amount in sums.items()), at_fallback=True)

        return ProposalLine(status, self.proposals, total(self.requested), total(self.expected), total(self.awarded))


def _pipeline(rows, converter: Converter, *, by_centre: bool) -> tuple[dict, dict]:
    """({status: ProposalLine} over the scope, {centre_id: ProposalLine} over every status when ``by_centre``)."""
    statuses: dict[ProposalStatus, Pipeline] = defaultdict(Pipeline)
    centres: dict[int, Pipeline] = defaultdict(Pipeline)
    for row in rows:
        statuses[row.status].add(row)
        if by_centre:
            centres[row.centre_id].add(row)
    return (
        {status: pipeline.line(status, converter) for status, pipeline in statuses.items()},
        {centre_id: pipeline.line(None, converter) for centre_id, pipeline in centres.items()},
    )


class InKind:
    """Goods, services and time per (kind, unit): entries, quantities, and valuations summed per (currency,
    month) and converted once each when the lines are made."""

    def __init__(self):
        self.tallies: dict[tuple[str, str], list] = {}  # (kind, unit) → [entries, quantity, buckets, unvalued]

    def add(self, kind: str, unit: str, currency: str | None, month, amount, entries: int, quantity) -> None:
        tally = self.tallies.get((kind, unit))
        if tally is None:
            tally = self.tallies[(kind, unit)] = [0, None, {}, 0]
        tally[0] += entries
        if quantity is not None:
            tally[1] = (tally[1] or Decimal(0)) + quantity
        if not currency:
            tally[3] += entries
        elif amount:  # a bucket of 0 adds nothing, as ``Converter.total`` would have it
            buckets, key = tally[2], (currency, month)
            buckets[key] = buckets.get(key, 0) + amount

    def lines(self, target: str, unit) -> list[InKindLine]:
        return [
            InKindLine(Kind(kind), name, entries, quantity, ConvertedTotal.of(target, buckets, unit), unvalued)
            for (kind, name), (entries, quantity, buckets, unvalued) in sorted(self.tallies.items())
        ]


class Months(dict):
    """'YYYY-MM' (or None) → the month's first day (or None), each worked out once."""

    def __missing__(self, text: str | None) -> date | None:
        first = self[text] = month_start(text)
        return first


@dataclass
class Resources:
    """The ledger's figures of a page: the four tables, the in-kind lines, and the undated entries."""

    by_centre: Grid
    by_quarter: Grid
    by_category: Grid
    by_kind: Grid
    in_kind: InKind
    undated: int = 0
    # (currency, None) of the undated amounts: no quarter shows them, but the page needs their rates.
    undated_currencies: set = field(default_factory=set)

    # The tables converted by ``read_tables``: (grid attribute, ``queries.ledger_buckets`` keys).
    TABLES = (
        ("by_centre", ("centre_id", "stage")),
        ("by_category", ("category", "stage")),
        ("by_kind", ("kind", "stage")),
    )

    @classmethod
    def read_stages(cls, scope: Scope, target: str, months: Months) -> "Resources":
        """The first read: per stage, currency and month, which gives the quarters, the undated entries and every
        (currency, month) the page will convert."""
        made = cls(Grid(target), Grid(target), Grid(target), Grid(target), InKind())
        for stage, currency, text, amount, entries in queries.ledger_buckets(scope, ("stage",)):
            if text is None:
                made.undated += entries
            if currency and text:
                month = months[text]
                made.by_quarter.add(quarter_of(month), stage, currency, month, amount, entries)
            elif currency:
                made.undated_currencies.add((currency, None))
        return made

    def currency_months(self) -> set[tuple[str, date | None]]:
        """Every (currency, month) with an amount: the rates the page needs."""
        dated = {bucket for sums in self.by_quarter.buckets.values() for bucket in sums}
        return dated | self.undated_currencies

    def read_tables(self, scope: Scope, converter: Converter, months: Months) -> "Resources":
        """Per centre, category and kind, then the goods, services and time; every table converted. PostgreSQL
        multiplies in SQL (``queries.converted_buckets``); elsewhere each bucket is read and converted here."""
        if queries.converts_in_sql():
            rates = converter.rates_by_month()
            # Most cells of a currency were converted over the same months: their conversions are looked up once.
            looked_up: dict[tuple[str, str | None], list] = {}

            def conversions(currency: str, texts: str | None) -> list:
                key = (currency, texts)
                if key not in looked_up:
                    looked_up[key] = _conversions(converter, months, currency, texts)
                return looked_up[key]

            for name, keys in self.TABLES:
                grid = getattr(self, name)
                for *cell, currency, converted, amount, left_out, entries, used, unused in queries.converted_buckets(
                    scope, keys, rates
                ):
                    units, errors = conversions(currency, used), conversions(currency, unused)
                    grid.add_converted(*cell, currency, converted, amount, left_out, entries, units, errors)
        else:
            for name, keys in self.TABLES:
                grid = getattr(self, name)
                for row, stage, currency, text, amount, entries in queries.ledger_buckets(scope, keys):
                    if currency:
                        grid.add(row, stage, currency, months[text], amount, entries)
                grid.convert(converter.of_bucket)
        self.by_quarter.convert(converter.of_bucket)
        for kind, unit, currency, text, amount, entries, quantity in queries.ledger_buckets(
            scope, ("kind",), units=True
        ):
            if kind != Kind.FINANCIAL:
                self.in_kind.add(kind, unit, currency, months[text], amount, entries, quantity)
        return self


def _conversions(converter: Converter, months: Months, currency: str, texts: str | None) -> list:
    """The conversions of ``queries.converted_buckets``' list of months ('YYYY-MM,…', an empty item for undated)."""
    if texts is None:
        return []
    return [converter.of_bucket((currency, months[text or None])) for text in texts.split(",")]


def build(scope: Scope, plan: RatePlan, *, network: bool) -> Dashboard:
    """Every figure of a dashboard: the same statements whatever the data size."""
    centres = queries.centres(scope)
    partnership_rows = queries.partnership_counts(scope)
    proposal_rows = queries.proposal_buckets(scope)
    months = Months()
    ledger = Resources.read_stages(scope, plan.target, months)
    keys = ledger.currency_months()
    keys |= {(code, None) for r in proposal_rows for code in (r.requested_currency, r.awarded_currency) if code}
    converter = Converter.load(plan, keys)
    ledger.read_tables(scope, converter, months)

    stages = list(STAGES)
    resources_by_centre = MoneyTable.of(ledger.by_centre, [c.id for c in centres], stages)
    resources_by_category = MoneyTable.of(ledger.by_category, present(Category, ledger.by_category), stages)
    resources_by_kind = MoneyTable.of(ledger.by_kind, present(Kind, ledger.by_kind), stages)
    resources_by_quarter = MoneyTable.of(ledger.by_quarter, ledger.by_quarter.rows(), stages)

    flags = Flags(
        stalled=queries.agreements_stalled(scope),
        overdue=queries.proposals_overdue(scope),
        undated_entries=ledger.undated if (scope.starts_on or scope.ends_on) else 0,
    )
    grand = resources_by_centre.grand_total()
    proposals, proposals_by_centre = _pipeline(proposal_rows, converter, by_centre=network)
    missing = ConvertedTotal(plan.target)
    missing += grand
    for line in proposals.values():
        missing += line.requested
        missing += line.awarded
    in_kind = ledger.in_kind.lines(plan.target, converter.of_bucket)
    for line in in_kind:
        missing += line.valuation
    flags.not_converted = missing.not_converted()

    types = sorted({(r.code, r.name, r.position) for r in partnership_rows}, key=lambda t: (t[2], t[1]))
    return Dashboard(
        scope=scope,
        plan=plan,
        centres=centres,
        partnerships={(r.centre_id, r.code, r.stage): r[5] for r in partnership_rows},
        partnership_types=[(code, name) for code, name, _ in types],
        agreements={(r.centre_id, r.status): r[2] for r in queries.agreement_counts(scope)},
        awaiting=queries.agreements_awaiting_action(scope),
        coming_up=queries.agreements_coming_up(scope),
        proposals=proposals,
        proposals_by_centre=proposals_by_centre,
        resources_by_centre=resources_by_centre,
        resources_by_category=resources_by_category,
        resources_by_kind=resources_by_kind,
        resources_by_quarter=resources_by_quarter,
        in_kind=in_kind,
        deadlines=queries.proposals_due(scope),
        calls=queries.call_deadlines(scope),
        experts=queries.roster(scope),
        flags=flags,
        shared=queries.shared_organisations(scope) if network else ([], 0),
    )


def charts(d: Dashboard, *, network: bool) -> dict:
    """The dashboard's charts as SVG; each has the same numbers in a table on the page."""
    target = d.plan.target
    stage_series = [
        Series(stage.label, [d.resources_by_quarter.cell(q, stage).total.amount for q in d.resources_by_quarter.rows])
        for stage in STAGES
    ]
    result = {
        "quarters": column_chart(
            f"Resources by quarter booked, {target}",
            d.resources_by_quarter.rows,
            stage_series,
            value_axis=target,
            category_axis="Quarter booked",
        ),
        "categories": bar_chart(
            f"Resources by category, all stages, {target}",
            [c.label for c in d.resources_by_category.rows],
            [d.resources_by_category.row_total(c).total.amount for c in d.resources_by_category.rows],
            value_axis=target,
            category_axis="Category",
        ),
        "partnerships": bar_chart(
            "Partnerships by organisation type",
            [name for _, name in d.partnership_types],
            [d.partnership_count(type_code=code) for code, _ in d.partnership_types],
            value_axis="Partnerships",
            category_axis="Organisation type",
        ),
        "proposals": bar_chart(
            "Proposals by status",
            [status.label for status in d.proposals],
            [line.proposals for line in d.proposals.values()],
            value_axis="Proposals",
            category_axis="Status",
        ),
    }
    _, targets = d.expert_totals()
    tagged = {n: count for n, count in targets.items() if count}
    result["targets"] = bar_chart(
        "Experts per KMGBF target",
        [f"Target {n}" for n in tagged],
        list(tagged.values()),
        value_axis="Experts",
        category_axis="KMGBF target",
    )
    if network:
        table = d.resources_by_centre
        result["centres"] = column_chart(
            f"Resources per centre, {target}",
            [c.code for c in d.centres],
            [Series(stage.label, [table.cell(c.id, stage).total.amount for c in d.centres]) for stage in STAGES],
            value_axis=target,
            category_axis="Centre",
            width=max(640, 48 * len(d.centres)),
        )
    return result
