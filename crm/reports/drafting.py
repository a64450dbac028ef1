"""Drafting the section from the registers: words that cite the figures, a suggested status per row.

Staff edit the words afterwards; the figures (with links to the records behind them) stay beside
the words in the preview so a reader can check every number. A period without records drafts an
honest "Not started" section.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from crm.core.periods import Span
from crm.experts.queries import roster_counts
from crm.funding.models import Category
from crm.funding.queries import headline_figures, open_needs
from crm.money.conversion import Conversion, ConversionError, RateBook, display_rate
from crm.money.policy import Policy
from crm.money.value import Money
from crm.partners.models import ENGAGED_STAGES, Stage
from crm.proposals.models import ProposalStatus
from crm.reports import queries
from crm.reports.section import Figure, Narrative, OutputStatus, RateUsed

NOT_STARTED, IN_PROGRESS, COMPLETED = (s.value for s in OutputStatus)
SUBMITTED = {s.value for s in (ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW, ProposalStatus.REJECTED)}
FUNDED = ProposalStatus.APPROVED.value
AWAITING_DECISION = {ProposalStatus.SUBMITTED.value, ProposalStatus.UNDER_REVIEW.value}
PREPARING = {ProposalStatus.IDEA.value, ProposalStatus.IN_PREPARATION.value}
# Financial support from the host institution reads as "institutional support", project grants as "project funding".
INSTITUTIONAL = "host_institution"
PROJECT_PURPOSE = "project_activities"
# Amounts are also given in US dollars, the currency the GCE compares centres in.
COMPARISON_CURRENCY = "USD"


@dataclass
class RowDraft:
    details: str
    suggested_status: str
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Draft:
    outcome: str
    rows: dict[str, RowDraft]
    narrative: Narrative
    key_figures: str
    key_figure_list: list[Figure]
    reporting_currency: str
    conversion_policy: str
    rates_used: list[RateUsed]


def period_span(period) -> str:
    return f"{period.starts_on:%B %Y} – {period.ends_on:%B %Y}"


def display_currency(code: str) -> str:
    """CNY as the centres write it."""
    return "RMB" if code == "CNY" else code


def amount_text(money: Money) -> str:
    rounded = money.rounded().amount
    number = f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded:,}"
    return f"{display_currency(money.currency)} {number}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def was(items: list) -> str:
    return "was" if len(items) == 1 else "were"


def joined(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# Money: totals per currency, each converted with its rate named.


class Converter:
    """Converts totals at the period's end with one RateBook, and remembers every rate it used."""

    def __init__(self, currencies: set[str], targets: list[str], period):
        self.policy = Policy.fixed_date(period.ends_on)
        self.on = period.ends_on
        self.targets = targets
        self.book = RateBook.load(currencies | set(targets), self.on, self.on, self.policy) if currencies else None
        self.rates: dict[tuple, RateUsed] = {}

    def equivalents(self, money: Money) -> str:
        """ " (≈ USD 126,540)" or " (USD: not converted: no rate...)"; empty when already in every target."""
        parts = []
        for target in self.targets:
            if target == money.currency:
                continue
            result = self.book.try_convert(money, target, self.on, self.policy)
            if isinstance(result, ConversionError):
                parts.append(f"{target}: {result.not_converted}")
            else:
                self.remember(result)
                parts.append(f"≈ {amount_text(result.rounded())}")
        return f" ({'; '.join(parts)})" if parts else ""

    def remember(self, conversion: Conversion) -> None:
        """Every stored rate the conversion used, as published (1 base = rate quote): the annex cites each one, so
        that an amount divided or multiplied by them is the figure drafted."""
        for leg in conversion.legs:
            key = (leg.base, leg.quote, leg.effective_on, leg.source, leg.scope)
            self.rates[key] = RateUsed(
                base=leg.base,
                quote=leg.quote,
                rate=display_rate(leg.value),
                effective_on=leg.effective_on.isoformat(),
                source=leg.source_label
                + (f", used for {conversion.money.currency} → {conversion.target} ({conversion.path})"),
                reference=leg.reference,
            )

    def statement(self) -> str:
        return self.policy.statement(self.targets[0])


def money_totals(rows: list[queries.ResourceRow]) -> dict[str, Money]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.amount is not None and row.currency:
            totals[row.currency] += row.amount
    return {code: Money(amount, code) for code, amount in sorted(totals.items())}


def totals_text(rows: list[queries.ResourceRow], converter: Converter) -> str:
    return "; ".join(amount_text(m) + converter.equivalents(m) for m in money_totals(rows).values())


# The rows


def link(endpoint: str, **args) -> dict:
    return {"endpoint": endpoint, "args": {key: value for key, value in args.items() if value}}


def partnerships_row(centre, partners: list[queries.PartnerRow], agreements: list[queries.AgreementRow]) -> RowDraft:
    engaged = [p for p in partners if p.stage in ENGAGED_STAGES]
    identified = [p for p in partners if p.stage == Stage.IDENTIFIED]
    name = centre.display_name
    figures = [
        Figure(
            "Institutions engaged",
            str(len(engaged)),
            **link("partners.partnerships", centre=centre.code, stage="engaged"),
        ),
    ]
    for stage, count in Counter(p.stage for p in engaged).items():
        figures.append(
            Figure(
                f"At stage {stage.label.lower()}",
                str(count),
                **link("partners.partnerships", centre=centre.code, stage=stage.value),
            )
        )
    sentences = []
    if engaged:
        by_type: dict[str, list[str]] = defaultdict(list)
        for partner in engaged:
            by_type[partner.type_name].append(partner.name)
        listing = "; ".join(f"{type_name}: {', '.join(names)}" for type_name, names in by_type.items())
        sentences.append(
            f"{name} has engaged {plural(len(engaged), 'institution')} to explore collaboration in capacity-building "
            f"and technical cooperation. These include {listing}."
        )
        stages = Counter(p.stage for p in engaged)
        sentences.append(
            "By stage: " + ", ".join(f"{stage.label.lower()} {count}" for stage, count in stages.items()) + "."
        )
    if identified:
        figures.append(
            Figure(
                "Potential partners identified",
                str(len(identified)),
                **link("partners.partnerships", centre=centre.code, stage=Stage.IDENTIFIED.value),
            )
        )
        sentences.append(
            f"A list of {plural(len(identified), 'potential partner')} has been identified: "
            f"{', '.join(p.name for p in identified)}."
        )
    for agreement in agreements:
        since = f" since {agreement.status_since}" if agreement.status_since else ""
        sentences.append(f"{agreement.title}: {agreement.status_label.lower()}{since}.")
    if agreements:
        figures.append(Figure("Agreements", str(len(agreements)), **link("agreements.index", centre=centre.code)))
    if not sentences:
        return RowDraft("No partnerships are recorded for this period yet.", NOT_STARTED, figures)
    settled = engaged and all(p.stage == Stage.ACTIVE for p in engaged) and not any(a.is_open for a in agreements)
    return RowDraft(" ".join(sentences), COMPLETED if settled else IN_PROGRESS, figures)


def proposal_groups(proposals: list[queries.ProposalRow]) -> dict[str, list[queries.ProposalRow]]:
    """Submitted in the period, funded in the period, and still in preparation at its end."""
    return {
        "submitted": [p for p in proposals if p.submitted_in_period],
        "funded": [p for p in proposals if p.funded_in_period],
        "preparing": [p for p in proposals if p.status in PREPARING],
    }


def proposals_row(centre, groups: dict[str, list[queries.ProposalRow]]) -> RowDraft:
    submitted, funded, preparing = groups["submitted"], groups["funded"], groups["preparing"]
    figures = [
        Figure(
            "Proposals submitted",
            str(len(submitted)),
            **link("proposals.index", centre=centre.code, event="submitted"),
        ),
        Figure("Proposals funded", str(len(funded)), **link("proposals.index", centre=centre.code, event="funded")),
        Figure(
            "Proposals in preparation",
            str(len(preparing)),
            **link("proposals.index", centre=centre.code, status="open"),
        ),
    ]
    name = centre.display_name
    if not (submitted or preparing):
        return RowDraft(f"No project proposals have been submitted by {name} in this period.", NOT_STARTED, figures)
    sentences = []
    if submitted:
        funders = sorted({p.funder for p in submitted})
        titles = "; ".join(f"{p.title} ({p.funder})" for p in submitted)
        sentences.append(
            f"{plural(len(submitted), 'project proposal')} {'has' if len(submitted) == 1 else 'have'} been submitted "
            f"to {joined(funders)}: {titles}."
        )
    else:
        sentences.append(f"No project proposals have been submitted by {name} in this period.")
    if funded:
        sentences.append(
            f"{plural(len(funded), 'proposal')} {was(funded)} funded: {'; '.join(p.title for p in funded)}."
        )
    if preparing:
        targets = sorted({p.funder for p in preparing})
        sentences.append(
            f"{plural(len(preparing), 'more proposal')} {'is' if len(preparing) == 1 else 'are'} in preparation, "
            f"targeting {joined(targets)}."
        )
    pending = any(p.status not in (FUNDED, ProposalStatus.REJECTED.value) for p in submitted) or preparing
    return RowDraft(" ".join(sentences), IN_PROGRESS if pending or not funded else COMPLETED, figures)


def needs_text(needs) -> str:
    return "Resources are still needed for: " + "; ".join(need.title for need in needs) + "."


def resources_row(centre, rows: list[queries.ResourceRow], needs, converter: Converter) -> RowDraft:
    """Money committed (mobilised) by category, pledges apart, goods and services and time by what they are."""
    financial = [r for r in rows if r.kind == "financial" and r.stage != "pledged"]
    pledged = [r for r in rows if r.kind == "financial" and r.stage == "pledged"]
    in_kind = [r for r in rows if r.kind != "financial"]
    figures = [Figure("Open funding needs", str(len(needs)))] if needs else []
    if not rows and needs:
        # The resources are identified and sought, not yet mobilized (TSCC-CA's consultants).
        text = f"No resources are recorded as mobilized in this period yet. {needs_text(needs)}"
        return RowDraft(text, IN_PROGRESS, figures)
    if not rows:
        return RowDraft("No resources are recorded as mobilized in this period yet.", NOT_STARTED, figures)
    sentences = []
    name = centre.display_name
    if financial:
        sentences.append(f"{name} has mobilized financial resources totalling {totals_text(financial, converter)}.")
        by_category: dict[str, list[queries.ResourceRow]] = defaultdict(list)
        for row in financial:
            by_category[row.category].append(row)
        for category, entries in by_category.items():
            label = category_label(category)
            items = "; ".join(
                f"{amount_text(Money(e.amount, e.currency))} {stage_word(e.stage)}"
                + (f" from {e.source}" if e.source else "")
                + (f" for {e.description}" if e.description else "")
                for e in entries
                if e.amount is not None
            )
            sentences.append(f"{label}: {items}.")
            figures.append(
                Figure(
                    label,
                    totals_text(entries, converter),
                    **link(
                        "funding.index", centre=centre.code, category=category, kind="financial", measure="committed"
                    ),
                )
            )
    if pledged:
        sentences.append(f"Pledged, not yet committed: {totals_text(pledged, converter)}.")
    if in_kind:
        items = "; ".join(in_kind_text(e) for e in in_kind)
        sentences.append(f"In the form of in-kind contributions: {items}.")
        figures.append(Figure("In-kind contributions", str(len(in_kind))))
    if needs:
        sentences.append(needs_text(needs))
    complete = all(r.stage == "received" for r in rows) and not needs
    return RowDraft(" ".join(sentences), COMPLETED if complete else IN_PROGRESS, figures)


def category_label(value: str) -> str:
    return Category(value).label


def stage_word(stage: str) -> str:
    return {"pledged": "pledged", "committed": "committed", "received": "received"}[stage]


def in_kind_text(row: queries.ResourceRow) -> str:
    source = f" from {row.source}" if row.source else ""
    details = []
    if row.quantity is not None:
        details.append(f"{row.quantity.normalize():f} {row.unit}".strip())
    if row.amount is not None:
        details.append(f"valued at {amount_text(Money(row.amount, row.currency))}")
    return f"{row.description or 'support'}{source}" + (f" ({', '.join(details)})" if details else "")


def strategy_row(centre, rows: list[queries.ResourceRow], groups) -> RowDraft:
    categories = sorted({category_label(r.category) for r in rows})
    pipeline = len(groups["submitted"]) + len(groups["preparing"])
    if not categories and not pipeline:
        return RowDraft("No resource mobilization strategy is recorded yet.", NOT_STARTED)
    sources = (
        f"resources from {plural(len(categories), 'kind of source', 'kinds of source')} ({', '.join(categories)})"
        if categories
        else "no resources yet"
    )
    return RowDraft(
        f"A resource mobilization strategy is being developed to diversify funding sources. The records show {sources} "
        f"and {plural(pipeline, 'proposal')} in the pipeline.",
        IN_PROGRESS,
    )


def additional_row(centre, roster) -> RowDraft:
    figures = [Figure("Experts in the pool", str(roster.total), **link("experts.index", centre=centre.id))]
    if not roster.total:
        return RowDraft("No expert pool is recorded yet.", NOT_STARTED, figures)
    pools = "; ".join(f"{pool.name}: {pool.sentence()}" for pool in roster.pools if pool.total)
    text = f"{centre.display_name} has established an expert pool of {roster.sentence()}."
    if pools:
        text += f" Pools: {pools}."
    return RowDraft(text, IN_PROGRESS, figures)


# Narrative and Part III


def narrative(centre, partners, groups, rows, roster) -> Narrative:
    name = centre.display_name
    engaged = [p for p in partners if p.stage in ENGAGED_STAGES]
    worked, challenges, solutions = [], [], []
    if engaged:
        worked.append(
            f"In terms of partnership building, {name} has engaged {plural(len(engaged), 'institution')} "
            "and established initial cooperation intentions."
        )
    if rows:
        worked.append(
            f"In terms of resource mobilization, {name} has mobilized "
            f"{plural(len(rows), 'financial or in-kind contribution')}."
        )
    if groups["submitted"]:
        worked.append(f"{plural(len(groups['submitted']), 'project proposal')} {was(groups['submitted'])} submitted.")
    if not groups["submitted"]:
        challenges.append("No project proposal has been submitted yet; funds are needed to prepare applications.")
    if not [r for r in rows if r.kind == "financial" and r.category != INSTITUTIONAL]:
        challenges.append(
            "Funding relies on the host institution; predictable and sustainable funding channels are lacking."
        )
    if not roster.total:
        challenges.append("No expert pool has been established yet.")
    awaiting = [p for p in groups["submitted"] if p.status in AWAITING_DECISION]
    if awaiting:
        challenges.append(
            f"{plural(len(awaiting), 'submitted proposal')} {'awaits' if len(awaiting) == 1 else 'await'} a decision: "
            "review cycles are long and the timing of funds is uncertain."
        )
    if any(r.kind == "financial" and r.purpose == PROJECT_PURPOSE and r.category != INSTITUTIONAL for r in rows):
        challenges.append("Project funds are tied to their activities and cannot cover the centre's daily operation.")
    if challenges:
        solutions.append(
            f"With the guidance of the GCE, {name} will diversify its funding sources and apply jointly with "
            "Served Parties and partners for bilateral and multilateral funding."
        )
    return Narrative(numbered(worked), numbered(challenges), numbered(solutions))


def numbered(items: list[str]) -> str:
    return "\n\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def money_text(amounts: dict[str, Decimal], converter: Converter) -> str:
    return " and ".join(amount_text(m) + converter.equivalents(m) for m in (Money(a, c) for c, a in amounts.items()))


def key_figures(centre, partners, groups, headline, roster, converter) -> tuple[str, list[Figure]]:
    """Part III's quantitative achievement, in the words of the reports ("engaging at least 14 institutions")."""
    engaged = [p for p in partners if p.stage in ENGAGED_STAGES]
    institutional = money_text(headline["institutional_support"], converter)
    projects = money_text(headline["project_funding"], converter)
    other = money_text(headline["other_funding"], converter)
    sentences = [
        f"{centre.display_name} has initiated the development of a partnership network, engaging "
        f"{plural(len(engaged), 'institution')}."
    ]
    results = [f"the submission of {plural(len(groups['submitted']), 'project proposal')}"]
    money = [
        f"{text} {what}"
        for text, what in (
            (institutional, "institutional support"),
            (projects, "project funding"),
            (other, "other financial support"),
        )
        if text
    ]
    if money:
        results.append(f"the mobilization of {' and '.join(money)}")
    if roster.total:
        results.append(f"the establishment of an expert pool comprising {plural(roster.total, 'expert')}")
    sentences.append(f"Resource mobilization efforts have yielded {joined(results)}.")
    figures = [
        Figure(
            "Institutions engaged",
            str(len(engaged)),
            **link("partners.partnerships", centre=centre.code, stage="engaged"),
        ),
        Figure(
            "Proposals submitted",
            str(len(groups["submitted"])),
            **link("proposals.index", centre=centre.code, event="submitted"),
        ),
        Figure(
            "Proposals in preparation",
            str(len(groups["preparing"])),
            **link("proposals.index", centre=centre.code, status="open"),
        ),
        Figure(
            "Institutional support",
            institutional or "none",
            **link("funding.index", centre=centre.code, headline="institutional_support"),
        ),
        Figure(
            "Project funding",
            projects or "none",
            **link("funding.index", centre=centre.code, headline="project_funding"),
        ),
        Figure("Experts in the pool", str(roster.total), **link("experts.index", centre=centre.id)),
    ]
    return " ".join(sentences), figures


def dated(span: Span, figures: list[Figure]) -> None:
    """Every figure's list is the period's: its link carries the period's dates, as the figure counts them."""
    for figure in figures:
        if figure.endpoint:
            figure.args = span.args() | figure.args


def draft(centre, period) -> Draft:
    """The section drafted from what counts in the period (``crm.core.periods``), as every page counts it."""
    span = Span.of(period)
    partners = queries.partners(centre.id, span)
    agreements = queries.agreements(centre.id, span)
    groups = proposal_groups(queries.proposals(centre.id, span))
    rows = queries.resources(centre.id, span)
    roster = roster_counts(centre.id, span)
    needs = open_needs({centre.id})
    headline = headline_figures(centre.id, span)
    currencies = {r.currency for r in rows if r.currency} | {code for sums in headline.values() for code in sums}
    targets = list(dict.fromkeys([centre.reporting_currency, COMPARISON_CURRENCY]))
    converter = Converter(currencies, targets, period)
    drafted_rows = {
        "partnerships": partnerships_row(centre, partners, agreements),
        "proposals": proposals_row(centre, groups),
        "resources": resources_row(centre, rows, needs, converter),
        "strategy": strategy_row(centre, rows, groups),
        "additional": additional_row(centre, roster),
    }
    key_text, key_list = key_figures(centre, partners, groups, headline, roster, converter)
    dated(span, [f for row in drafted_rows.values() for f in row.figures] + key_list)
    return Draft(
        outcome=f"{centre.display_name} initiates partnership development and begins the process of identifying "
        "and developing sustainable, long-term resource mobilization.",
        rows=drafted_rows,
        narrative=narrative(centre, partners, groups, rows, roster),
        key_figures=key_text,
        key_figure_list=key_list,
        reporting_currency=centre.reporting_currency,
        conversion_policy=converter.statement() if currencies else "",
        rates_used=sorted(converter.rates.values(), key=lambda r: (r.base, r.quote, r.effective_on)),
    )
