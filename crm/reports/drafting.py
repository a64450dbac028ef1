"""Drafting the section from the registers, in the words of the centres' own reports.

Every drafted sentence is built from records and says only what they show: figures and names are tokens
(``crm.reports.linked``) that carry the lists or records they rest on, so that the preview shows where each
sentence comes from and a redraft can update them inside the words staff wrote around them. Nothing is
generated that no record holds: a challenge, a solution, a plan is drafted only from what staff recorded (the
challenges, the resource mobilisation strategy); a zero is left out, or said as the reports say it ("No project
proposals have been submitted yet").

The counting rules, each the one the lists apply (``crm.core.periods`` for the period):

- partners developed: partnerships engaged by the period's end, past "identified", not closed, whose role is
  "partner" (``crm.partners.queries.developed``): the convention body and the host institution are area 1;
- agreements: those of area 3 (``Agreement.area``: host agreements and MoAs are area 1 unless staff place them);
- proposals: submitted in the period, funded in the period, being prepared at its end; "in the pipeline" means
  open at its end (not yet decided);
- resources: the ledger's entries booked in the period, withdrawals netted; Part III's headlines partition the
  money committed (``crm.funding.queries.HEADLINES``);
- experts: an established pool is an expert pool; a list of possible consultants is a resource still to be
  mobilised, and is said so.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale

from crm.agreements.models import AgreementStatus
from crm.centres.models import country_name
from crm.core.periods import Span
from crm.experts.models import PoolStatus
from crm.experts.queries import roster_counts
from crm.funding.models import Category, StrategyStatus
from crm.funding.queries import headline_figures, open_needs, strategy_of
from crm.money.conversion import Conversion, ConversionError, RateBook, display_rate
from crm.money.policy import DEFAULT_SOURCES, Policy
from crm.money.value import Money
from crm.partners.models import PartnershipRole, Stage
from crm.proposals.models import ProposalStatus
from crm.proposals.queries import OPEN, PREPARING
from crm.reports import queries
from crm.reports.linked import Drafted, Sentence, Token
from crm.reports.models import ChallengeArea
from crm.reports.prose import (
    capitalised,
    counted,
    heading_in_sentence,
    in_sentence,
    joined,
    named,
    number,
    quoted,
    verb,
    with_the,
)
from crm.reports.section import FILED_LANGUAGE, AnnexTable, Figure, OutputStatus, RateUsed, Synthesis

NOT_STARTED, IN_PROGRESS, COMPLETED = (s.value for s in OutputStatus)
AWAITING_DECISION = {ProposalStatus.SUBMITTED.value, ProposalStatus.UNDER_REVIEW.value}
PREPARING_VALUES = {s.value for s in PREPARING}
OPEN_VALUES = {s.value for s in OPEN}
# Amounts are also given in US dollars, the currency the GCE compares centres in.
COMPARISON_CURRENCY = "USD"
# How a strategy's source categories read in "diversify funding sources, including institutional ... contributions".
CATEGORY_ADJECTIVES = {
    Category.HOST_INSTITUTION: "institutional",
    Category.BILATERAL: "bilateral",
    Category.MULTILATERAL: "multilateral",
    Category.GOVERNMENT: "government",
    Category.PRIVATE_SECTOR: "private sector",
    Category.FOUNDATION_NGO: "foundation and NGO",
}
# An agreement's status in a sentence: (now, since a date).
AGREEMENT_PHRASES = {
    AgreementStatus.DRAFTING: ("is being drafted", "has been in drafting since"),
    AgreementStatus.UNDER_NEGOTIATION: ("is under negotiation", "has been under negotiation since"),
    AgreementStatus.LEGAL_REVIEW: ("is under legal review", "has been under legal review since"),
    AgreementStatus.AUTHORITY_APPROVAL: ("is awaiting approval", "has been awaiting approval since"),
    AgreementStatus.SIGNED: ("has been signed", "was signed"),
    AgreementStatus.IN_FORCE: ("is in force", "has been in force since"),
    AgreementStatus.EXPIRED: ("has expired", "expired"),
    AgreementStatus.TERMINATED: ("has been terminated", "was terminated"),
    AgreementStatus.ABANDONED: ("has been abandoned", "was abandoned"),
}
# Above this many partners developed, the row lists them by type; fewer are named in the sentences of their stage.
LISTED_FROM = 4


@dataclass
class RowDraft:
    text: Drafted
    suggested_status: str
    figures: list[Figure] = field(default_factory=list)

    @property
    def details(self) -> str:
        return self.text.render().text


@dataclass
class Draft:
    outcome: Drafted
    rows: dict[str, RowDraft]
    worked_well: Drafted
    challenges: Drafted
    solutions: Drafted
    key_figures: Drafted
    key_figure_list: list[Figure]
    reporting_currency: str
    conversion_policy: str
    rates_used: list[RateUsed]
    annex: list[AnnexTable]
    synthesis: Synthesis

    @property
    def texts(self) -> dict[str, Drafted]:
        """The section's own text fields, by name."""
        return {
            "outcome": self.outcome,
            "worked_well": self.worked_well,
            "challenges": self.challenges,
            "solutions": self.solutions,
            "key_figures": self.key_figures,
        }


def period_span(period) -> str:
    return f"{period.starts_on:%B %Y} – {period.ends_on:%B %Y}"


def display_currency(code: str) -> str:
    """CNY as the centres write it."""
    return "RMB" if code == "CNY" else code


def amount_text(money: Money) -> str:
    rounded = money.rounded().amount
    number_ = f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded:,}"
    return f"{display_currency(money.currency)} {number_}"


# Money: totals per currency, each converted with its rate named.


class Converter:
    """Converts totals at the period's end with one RateBook, and remembers every rate it used."""

    def __init__(self, currencies: set[str], targets: list[str], period, sources=DEFAULT_SOURCES):
        self.policy = Policy.fixed_date(period.ends_on, sources)
        self.on = period.ends_on
        self.targets = targets
        self.book = RateBook.load(currencies | set(targets), self.on, self.on, self.policy) if currencies else None
        self.rates: dict[tuple, RateUsed] = {}

    def convert(self, money: Money, target: str) -> Conversion | ConversionError:
        """One amount in ``target`` (its rate remembered), or the reason it was not converted."""
        result = self.book.try_convert(money, target, self.on, self.policy)
        if not isinstance(result, ConversionError):
            self.remember(result)
        return result

    def equivalents(self, money: Money) -> str:
        """ " (≈ USD 126,540)" or " (USD: not converted: no rate...)"; empty when already in every target."""
        parts = []
        for target in self.targets:
            if target == money.currency:
                continue
            result = self.convert(money, target)
            if isinstance(result, ConversionError):
                parts.append(f"{target}: {result.not_converted}")
            else:
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

    @property
    def rates_used(self) -> list[RateUsed]:
        return sorted(self.rates.values(), key=lambda r: (r.base, r.quote, r.effective_on))


def unbroken(text: str) -> str:
    """A figure kept on one line in a table cell ("RMB 500,000", "30 Apr 2026"): spaces made non-breaking."""
    return text.replace(" ", "\u00a0")


def money_totals(rows: list[queries.ResourceRow]) -> dict[str, Money]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.amount is not None and row.currency:
            totals[row.currency] += row.amount
    return {code: Money(amount, code) for code, amount in sorted(totals.items())}


def totals_text(rows: list[queries.ResourceRow], converter: Converter) -> str:
    return " and ".join(amount_text(m) + converter.equivalents(m) for m in money_totals(rows).values())


def money_text(amounts: dict[str, Decimal], converter: Converter) -> str:
    return " and ".join(amount_text(m) + converter.equivalents(m) for m in (Money(a, c) for c, a in amounts.items()))


def annex_conversion(converter: Converter, money: Money) -> tuple[str, str]:
    """An annex row's amount in US dollars and the rate it was converted at: the one place the annex cites a
    rate (the money domain's own citation)."""
    if money.currency == COMPARISON_CURRENCY:
        return unbroken(amount_text(money)), "not converted"
    result = converter.convert(money, COMPARISON_CURRENCY)
    if isinstance(result, ConversionError):
        return "—", f"not converted: {result.not_converted}"
    return unbroken(amount_text(result.rounded())), result.explain()


# --- the records a section is drafted from ---------------------------------------------------------------------


@dataclass
class Records:
    """What counts in the period, read once (a fixed number of statements whatever the data)."""

    partners: list[queries.PartnerRow]
    agreements: list[queries.AgreementRow]
    proposals: list[queries.ProposalRow]
    resources: list[queries.ResourceRow]
    roster: object
    needs: list
    headline: dict
    strategy: object
    challenges: list

    @property
    def developed(self) -> list[queries.PartnerRow]:
        return [p for p in self.partners if p.is_developed]

    @property
    def identified(self) -> list[queries.PartnerRow]:
        return [p for p in self.partners if p.stage == Stage.IDENTIFIED and p.role == PartnershipRole.PARTNER]

    def submitted(self) -> list[queries.ProposalRow]:
        return [p for p in self.proposals if p.submitted_in_period]

    def funded(self) -> list[queries.ProposalRow]:
        return [p for p in self.proposals if p.funded_in_period]

    def preparing(self) -> list[queries.ProposalRow]:
        return [p for p in self.proposals if p.status in PREPARING_VALUES]

    def open(self) -> list[queries.ProposalRow]:
        return [p for p in self.proposals if p.status in OPEN_VALUES]

    def pools(self, status: PoolStatus) -> list:
        return [pool for pool in self.roster.pools if pool.status == status and pool.total]


def gather(centre, span: Span) -> Records:
    return Records(
        partners=queries.partners(centre.id, span),
        agreements=queries.agreements(centre.id, span),
        proposals=queries.proposals(centre.id, span),
        resources=queries.resources(centre.id, span),
        roster=roster_counts(centre.id, span),
        needs=open_needs({centre.id}),
        headline=headline_figures(centre.id, span),
        strategy=strategy_of(centre.id),
        challenges=queries.challenges(centre.id, span),
    )


# --- words: names at first mention, links to the records -------------------------------------------------------


class Words:
    """What the sentences of one section share: the centre, the period every list link carries, and the names
    already mentioned (a full name with its acronym at first mention, the acronym after)."""

    def __init__(self, centre, span: Span):
        self.centre = centre
        self.span = span
        self.mentioned: set[int] = set()

    def list_ref(self, label: str, endpoint: str, value="", **args) -> Figure:
        """A list of records, filtered as the words count them, over the period."""
        chosen = {key: value for key, value in args.items() if value not in (None, "")}
        return Figure(label, str(value), endpoint, self.span.args() | {"centre": self.centre.code} | chosen)

    @staticmethod
    def record_ref(label: str, endpoint: str, **args) -> Figure:
        return Figure(label, "", endpoint, args)

    def name(self, ref: queries.OrgRef) -> str:
        first = ref.id not in self.mentioned
        self.mentioned.add(ref.id)
        if first and ref.acronym and ref.acronym not in ref.name:
            return f"{ref.name} ({ref.acronym})"
        return ref.name if first or not ref.acronym else ref.acronym

    def org(self, key: str, ref: queries.OrgRef, *, article: bool = False, opening: bool = False) -> Token:
        text = self.name(ref)
        text = named(text) if article else text
        return Token(key, capitalised(text) if opening else text, [self.organisation_ref(ref)])

    def orgs(self, key: str, refs: list[queries.OrgRef], *, article: bool = False, extra=()) -> Token:
        """Names joined; their records are the list they come from (``extra``), then each organisation."""
        names = [named(self.name(ref)) if article else self.name(ref) for ref in refs]
        return Token(key, joined(names), list(extra) + [self.organisation_ref(ref) for ref in refs])

    def organisation_ref(self, ref: queries.OrgRef) -> Figure:
        return self.record_ref(ref.short, "partners.organisation", organisation_id=ref.id)

    def centre_token(self) -> Token:
        return Token("centre", self.centre.display_name)

    def reset(self) -> None:
        """A new part of the report (Part III): names are given in full again."""
        self.mentioned.clear()


def single(key: str, *parts) -> Drafted:
    return Drafted([[Sentence(key, list(parts))]])


# --- the rows ---------------------------------------------------------------------------------------------------


def partnerships_row(w: Words, rec: Records) -> RowDraft:
    developed, identified = rec.developed, rec.identified
    count_ref = w.list_ref(
        "Partners developed", "partners.partnerships", len(developed), stage="engaged", role="partner"
    )
    figures = [count_ref]
    sentences = []
    if len(developed) >= LISTED_FROM:
        sentences.append(
            Sentence(
                "partners:count",
                [
                    w.centre_token(),
                    " has initiated engagement with ",
                    Token("count", counted(len(developed), "partner"), [count_ref]),
                    ".",
                ],
            )
        )
        sentences += type_listing(w, developed)
    by_agreement = {ref.id for agreement in rec.agreements for ref in agreement.counterparts}
    sentences += stage_sentences(w, developed, by_agreement, listed=len(developed) >= LISTED_FROM)
    sentences += [agreement_sentence(w, agreement) for agreement in rec.agreements]
    if identified:
        ref = w.list_ref(
            "Potential partners", "partners.partnerships", len(identified), stage="identified", role="partner"
        )
        figures.append(ref)
        sentences.append(
            Sentence(
                "partners:identified",
                [
                    "A list of ",
                    Token("count", counted(len(identified), "potential partner"), [ref]),
                    " has been identified: ",
                    w.orgs("names", [p.organisation for p in identified]),
                    ".",
                ],
            )
        )
    if rec.agreements:
        figures.append(w.list_ref("Agreements", "agreements.index", len(rec.agreements), area="partnerships"))
    if not sentences:
        none = Token("none", "No partnerships", [count_ref])
        return RowDraft(single("partners:none", none, " have been developed yet."), NOT_STARTED, figures)
    settled = (
        developed and all(p.stage == Stage.ACTIVE for p in developed) and not any(a.is_open for a in rec.agreements)
    )
    return RowDraft(Drafted([sentences]), COMPLETED if settled else IN_PROGRESS, figures)


def type_listing(w: Words, partners: list[queries.PartnerRow]) -> list[Sentence]:
    """ "These include UN and international bodies: A, B and C." then "Research institutes and universities: ..."."""
    groups: dict[str, list[queries.PartnerRow]] = defaultdict(list)
    for partner in partners:
        groups[partner.type_code].append(partner)
    sentences = []
    for index, (code, members) in enumerate(groups.items()):
        heading = members[0].heading
        ref = w.list_ref(heading, "partners.partnerships", len(members), stage="engaged", role="partner", type=code)
        opening = ["These include "] if index == 0 else []
        sentences.append(
            Sentence(
                f"partners:type:{code}",
                [
                    *opening,
                    Token("heading", heading),
                    ": ",
                    w.orgs("names", [m.organisation for m in members], extra=[ref]),
                    ".",
                ],
            )
        )
    return sentences


def stage_sentences(w: Words, partners, by_agreement: set[int], listed: bool) -> list[Sentence]:
    """How far cooperation has come with the partners past first contact; those still at first contact are named
    here only when the row does not list every partner by type."""
    phrases = (
        (Stage.CONTACTED, "partners:contacted", "{centre} has initiated engagement with {names}."),
        (Stage.IN_DISCUSSION, "partners:discussion", "Cooperation is being discussed with {names}."),
        (Stage.AGREEMENT_IN_PREPARATION, "partners:agreement", "An agreement is being prepared with {names}."),
        (Stage.ACTIVE, "partners:active", "Joint work is under way with {names}."),
    )
    sentences = []
    for stage, key, phrase in phrases:
        if stage == Stage.CONTACTED and listed:
            continue
        members = [p for p in partners if p.stage == stage and p.organisation.id not in by_agreement]
        if not members:
            continue
        before, _, after = phrase.partition("{names}")
        parts = []
        if before.startswith("{centre}"):
            parts += [w.centre_token(), before.removeprefix("{centre}")]
        else:
            parts.append(before)
        parts += [w.orgs("names", [m.organisation for m in members], article=True), after]
        sentences.append(Sentence(key, parts))
    return sentences


def agreement_sentence(w: Words, agreement: queries.AgreementRow) -> Sentence:
    """ "A draft cooperation agreement with the Regional Environmental Centre for Central Asia (RECCA) has been under
    negotiation since 2026." """
    ref = w.record_ref(agreement.title, "agreements.show", agreement_id=agreement.id)
    now, since = AGREEMENT_PHRASES[agreement.status]
    kind = in_sentence(agreement.kind.label)
    opening = f"A draft {kind}" if agreement.is_open else f"The {kind}"
    when = (
        agreement.signed if agreement.status == AgreementStatus.SIGNED and agreement.signed else agreement.status_since
    )
    if when is not None:
        preposition = "" if since.endswith("since") else (" on" if when.precision == "day" else " in")
        status = f"{since}{preposition} {when}"
    else:
        status = now
    parts = [opening]
    if agreement.counterparts:
        parts += [" with ", w.orgs("counterparts", agreement.counterparts, article=True, extra=[ref])]
    parts += [" ", Token("status", status, [ref]), "."]
    return Sentence(f"agreement:{agreement.id}", parts)


def proposals_row(w: Words, rec: Records) -> RowDraft:
    submitted, funded, preparing = rec.submitted(), rec.funded(), rec.preparing()
    refs = {
        "submitted": w.list_ref("Proposals submitted", "proposals.index", len(submitted), event="submitted"),
        "funded": w.list_ref("Proposals funded", "proposals.index", len(funded), event="funded"),
        "preparing": w.list_ref("Proposals in preparation", "proposals.index", len(preparing), status="preparing"),
        "open": w.list_ref(
            "Proposals in the pipeline (not yet decided)", "proposals.index", len(rec.open()), status="open"
        ),
    }
    figures = list(refs.values())
    sentences = []
    if submitted:
        sentences.append(
            Sentence(
                "proposals:submitted",
                [
                    Token("count", counted(len(submitted), "project proposal", opening=True), [refs["submitted"]]),
                    f" {verb(len(submitted), 'has', 'have')} been submitted: ",
                    Token("list", by_funder(w, submitted), [refs["submitted"]]),
                    ".",
                ],
            )
        )
        sentences += decisions(w, submitted, funded, refs)
    elif funded:
        sentences += decisions(w, submitted, funded, refs)
    if preparing:
        more = "more " if submitted else ""
        funders = unique([p.funder for p in preparing])
        sentences.append(
            Sentence(
                "proposals:preparing",
                [
                    Token("count", counted(len(preparing), f"{more}proposal", opening=True), [refs["preparing"]]),
                    f" {verb(len(preparing), 'is', 'are')} in preparation, targeting ",
                    w.orgs("funders", funders, article=True),
                    ".",
                ],
            )
        )
    if not submitted:
        none = Token("none", "No project proposals", [refs["submitted"]])
        sentences.insert(0, Sentence("proposals:none", [none, " have been submitted yet."]))
    if not (submitted or preparing or funded):
        return RowDraft(Drafted([sentences]), NOT_STARTED, figures)
    pending = preparing or any(p.status in AWAITING_DECISION for p in submitted)
    return RowDraft(Drafted([sentences]), IN_PROGRESS if pending or not funded else COMPLETED, figures)


def unique(refs: list[queries.OrgRef]) -> list[queries.OrgRef]:
    return list(dict.fromkeys(refs))


def by_funder(w: Words, proposals: list[queries.ProposalRow]) -> str:
    """ "to the United Nations Development Programme China Office (UNDP China), “UNDP Umbrella ...”; to the CCICED,
    “A” and “B”; and to ..." """
    groups: dict[queries.OrgRef, list[str]] = defaultdict(list)
    for proposal in proposals:
        groups[proposal.funder].append(quoted(proposal.title))
    items = [f"to {named(w.name(funder))}, {joined(titles)}" for funder, titles in groups.items()]
    if len(items) == 1:
        return items[0]
    return "; ".join(items[:-1]) + "; and " + items[-1]


def decisions(w: Words, submitted, funded, refs) -> list[Sentence]:
    """What became of the proposals: funded (by whom), awaiting a decision, not funded."""
    sentences = []
    among = {p.id for p in submitted}
    if funded:
        of_them = all(p.id in among for p in funded) and submitted
        subject = (
            f"{number(len(funded), opening=True)} of them"
            if of_them
            else counted(len(funded), "proposal", opening=True)
        )
        sentences.append(
            Sentence(
                "proposals:funded",
                [
                    Token("count", subject, [refs["funded"]]),
                    f" {verb(len(funded), 'has', 'have')} been funded, by ",
                    w.orgs("funders", unique([p.funder for p in funded]), article=True),
                    ".",
                ],
            )
        )
    awaiting = [p for p in submitted if p.status in AWAITING_DECISION]
    if awaiting and funded:
        subject = (
            f"The other {number(len(awaiting), words=True)}" if len(awaiting) + len(funded) == len(submitted) else None
        )
        subject = subject or counted(len(awaiting), "proposal", opening=True)
        sentences.append(
            Sentence(
                "proposals:awaiting",
                [
                    Token("count", subject, [refs["submitted"]]),
                    f" {verb(len(awaiting), 'awaits', 'await')} a decision.",
                ],
            )
        )
    rejected = [p for p in submitted if p.status == ProposalStatus.REJECTED.value]
    if rejected:
        sentences.append(
            Sentence(
                "proposals:rejected",
                [
                    Token("count", counted(len(rejected), "proposal", opening=True), [refs["submitted"]]),
                    f" {verb(len(rejected), 'was', 'were')} not funded.",
                ],
            )
        )
    return sentences


def resources_row(w: Words, rec: Records, converter: Converter) -> RowDraft:
    """Money committed by source and by project, pledges and withdrawals apart, in-kind support by what it is,
    people's time by who they are, and what is still needed."""
    rows = rec.resources
    financial = [r for r in rows if r.kind == "financial" and (r.amount or 0) > 0]
    committed = [r for r in financial if r.stage != "pledged"]
    projects = [r for r in committed if r.proposal_ids]
    others = [r for r in committed if not r.proposal_ids]
    pledged = [r for r in financial if r.stage == "pledged"]
    withdrawn = [r for r in rows if r.kind == "financial" and (r.amount or 0) < 0]
    in_kind = [r for r in rows if r.kind == "in_kind" and (r.quantity or r.amount or 0) > 0]
    people = [r for r in rows if r.kind == "people_time" and (r.quantity or r.amount or 0) > 0]
    figures = category_figures(w, committed, converter)
    sentences = []
    if committed:
        total_ref = w.list_ref("Money committed", "funding.index", kind="financial", measure="committed")
        also = ", as well as in-kind contributions" if in_kind or people else ""
        sentences.append(
            Sentence(
                "resources:total",
                [
                    w.centre_token(),
                    " has mobilized ",
                    Token("total", totals_text(committed, converter), [total_ref]),
                    f" in financial resources{also}.",
                ],
            )
        )
    sentences += source_sentences(w, others)
    if projects:
        sentences.append(project_sentence(w, projects))
    if pledged:
        sentences.append(
            Sentence(
                "resources:pledged",
                [
                    "Pledges not yet committed amount to ",
                    Token(
                        "total",
                        totals_text(pledged, converter),
                        [w.list_ref("Pledged", "funding.index", kind="financial", measure="pledged")],
                    ),
                    ": ",
                    Token("items", joined([amount_for(w, r) for r in pledged]), entry_refs(w, pledged)),
                    ".",
                ],
            )
        )
    if withdrawn:
        sentences.append(
            Sentence(
                "resources:withdrawn",
                [
                    Token(
                        "items", joined([amount_for(w, r, negated=True) for r in withdrawn]), entry_refs(w, withdrawn)
                    ),
                    ", pledged or committed before this period, ",
                    f"{verb(len(withdrawn), 'was', 'were')} withdrawn during it.",
                ],
            )
        )
    for index, row in enumerate(in_kind):
        sentences.append(in_kind_sentence(w, row, first=index == 0))
    for row in people:
        sentences.append(people_sentence(w, row))
    if in_kind or people:
        figures.append(Figure("In-kind contributions", str(len(in_kind) + len(people))))
    for pool in rec.pools(PoolStatus.CANDIDATES):
        sentences.append(candidates_sentence(w, pool))
    if rec.needs:
        sentences.append(
            Sentence(
                "resources:needs",
                [
                    "Financial resources are still required for ",
                    Token(
                        "needs",
                        joined([in_sentence(need.title) for need in rec.needs]),
                        [w.list_ref("Open funding needs", "funding.index")],
                    ),
                    ".",
                ],
            )
        )
        figures.append(Figure("Open funding needs", str(len(rec.needs))))
    if not rows:
        none = Token("none", "No resources", [w.list_ref("Resources", "funding.index")])
        sentences.insert(0, Sentence("resources:none", [none, " have been mobilized yet."]))
        status = IN_PROGRESS if rec.needs or rec.pools(PoolStatus.CANDIDATES) else NOT_STARTED
        return RowDraft(Drafted([sentences]), status, figures)
    complete = all(r.stage == "received" for r in rows) and not rec.needs
    return RowDraft(Drafted([sentences]), COMPLETED if complete else IN_PROGRESS, figures)


def category_figures(w: Words, committed, converter: Converter) -> list[Figure]:
    by_category: dict[str, list[queries.ResourceRow]] = defaultdict(list)
    for row in committed:
        by_category[row.category].append(row)
    return [
        w.list_ref(
            str(Category(category).label),  # read now, in English: a label kept lazy would follow the reader
            "funding.index",
            totals_text(entries, converter),
            category=category,
            kind="financial",
            measure="committed",
        )
        for category, entries in by_category.items()
    ]


def entry_refs(w: Words, rows) -> list[Figure]:
    return [
        w.record_ref(row.purpose_detail or row.description or "Entry", "funding.show", entry_id=row.id) for row in rows
    ]


def purpose_of(row: queries.ResourceRow) -> str:
    return with_the(in_sentence(row.purpose_detail)) if row.purpose_detail else ""


def amount_for(w: Words, row: queries.ResourceRow, negated: bool = False, source: bool = True) -> str:
    """ "RMB 500,000 for the daily operation of TSCC NIES", "RMB 50,000 from CAST for the 2025 Program ..."."""
    money = Money(-row.amount if negated else row.amount, row.currency)
    text = amount_text(money)
    if source and row.source:
        text += f" from {named(w.name(row.source))}"
    purpose = purpose_of(row)
    return text + (f" for {purpose}" if purpose else "")


def source_sentences(w: Words, rows) -> list[Sentence]:
    """ "The Nanjing Institute of Environmental Sciences (NIES) has committed RMB 500,000 for ... and RMB 400,000
    for ..."."""
    by_source: dict[queries.OrgRef | None, list[queries.ResourceRow]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    sentences = []
    for source, entries in by_source.items():
        act = "provided" if all(r.stage == "received" for r in entries) else "committed"
        items = Token("amounts", joined([amount_for(w, r, source=False) for r in entries]), entry_refs(w, entries))
        if source is None:
            parts = [items, f" {verb(len(entries), 'has', 'have')} been {act}."]
        else:
            parts = [w.org("source", source, article=True, opening=True), f" has {act} ", items, "."]
        sentences.append(Sentence(f"resources:source:{source.id if source else 'none'}", parts))
    return sentences


def project_sentence(w: Words, rows) -> Sentence:
    projects = {pid for row in rows for pid in row.proposal_ids}
    ref = w.list_ref("Proposals funded", "proposals.index", event="funded")
    return Sentence(
        "resources:projects",
        [
            "Funding has been secured for ",
            Token("count", counted(len(projects), "project"), [ref]),
            ": ",
            Token("amounts", joined([amount_for(w, r) for r in rows]), entry_refs(w, rows)),
            ".",
        ],
    )


def quantity_text(row: queries.ResourceRow) -> str:
    return f"{row.quantity.normalize():f} {row.unit}".strip() if row.quantity is not None else ""


def in_kind_sentence(w: Words, row: queries.ResourceRow, first: bool) -> Sentence:
    """ "In the form of in-kind contributions, NIES has provided office space, office equipment, ... (3 staff
    workplaces)." """
    what = in_sentence(row.description) if row.description else purpose_of(row) or "support"
    quantity = quantity_text(row)
    if quantity and row.unit and row.unit.lower() not in what.lower():
        what += f" ({quantity})"
    if row.amount is not None:
        what += f", valued at {amount_text(Money(row.amount, row.currency))}"
    opening = "In the form of in-kind contributions, " if first else ""
    refs = entry_refs(w, [row])
    if row.source is None:
        return Sentence(
            f"resources:in_kind:{row.id}",
            [opening, Token("what", capitalised(what) if not opening else what, refs), " has been provided."],
        )
    source = w.org("source", row.source, article=True, opening=not opening)
    return Sentence(f"resources:in_kind:{row.id}", [opening, source, " has provided ", Token("what", what, refs), "."])


def people_sentence(w: Words, row: queries.ResourceRow) -> Sentence:
    """ "In addition, 7 interns recruited through Tsinghua University's Global Leadership Program have been mobilized
    for TSCC NIES-related activities and projects." """
    description = in_sentence(row.description) if row.description else ""
    if description and row.unit and description.lower().startswith(row.unit.lower()):
        who = f"{number(int(row.quantity)) if row.quantity == int(row.quantity) else row.quantity} {description}"
    else:
        who = quantity_text(row) + (f" ({description})" if description else "")
    purpose = purpose_of(row)
    refs = entry_refs(w, [row])
    plural = row.quantity != 1
    mentions_source = row.source and any(
        name and name.lower() in description.lower() for name in (row.source.name, row.source.acronym)
    )
    if row.source and not mentions_source:
        parts = ["In addition, ", w.org("source", row.source, article=True), " has provided ", Token("who", who, refs)]
    else:
        parts = ["In addition, ", Token("who", who, refs), f" {'have' if plural else 'has'} been mobilized"]
    if purpose:
        parts += [" for ", Token("purpose", purpose, refs)]
    return Sentence(f"resources:people:{row.id}", [*parts, "."])


def candidates_sentence(w: Words, pool) -> Sentence:
    """TSCC-CA's words: "The initial list of possible consultants for the TSCC's work has been determined." """
    ref = w.list_ref(pool.name, "experts.index", pool.total, pool=pool.pool_id, centre=w.centre.id)
    noun = pool.name.lower() if len(pool.name.split()) == 1 else f"experts and consultants ({pool.name})"
    return Sentence(
        f"resources:pool:{pool.pool_id}",
        ["An initial list of ", Token("count", f"{pool.total} possible {noun}", [ref]), " has been determined."],
    )


def strategy_row(w: Words, rec: Records) -> RowDraft:
    strategy = rec.strategy
    ref = w.record_ref("Resource mobilisation strategy", "funding.strategy", centre_id=w.centre.id)
    none = Sentence(
        "strategy:none", [Token("none", "A resource mobilization strategy", [ref]), " has not been developed yet."]
    )
    if strategy is None:
        return RowDraft(Drafted([[none]]), NOT_STARTED)
    # A centre with steps but no strategy document: the row's status says "Not started"; the steps say the rest.
    sentences = [] if strategy.status == StrategyStatus.NOT_STARTED else [strategy_status_sentence(strategy, ref)]
    if len(strategy.sources) > 1:
        labels = Token("sources", joined([source.label for source in strategy.sources]), [ref])
        opening = ["To build sustainable resource support, ", w.centre_token(), " will draw on resources from "]
        sentences.append(Sentence("strategy:sources", [*opening, labels, "."]))
    end = w.span.ends_on
    done = [step for step in strategy.steps if step.done and (end is None or step.done.start <= end)]
    planned = [step for step in strategy.steps if step not in done]
    sentences += step_sentences(w, strategy.sources, planned, ref)
    for step in done:
        action = Token("action", step.action.rstrip("."), [ref])
        parts = [w.centre_token(), " set out to ", action, f"; this was done {on_or_in(step.done)}."]
        sentences.append(Sentence(f"strategy:done:{step.id}", parts))
    status = {
        StrategyStatus.ADOPTED: COMPLETED,
        StrategyStatus.IN_DEVELOPMENT: IN_PROGRESS,
        StrategyStatus.NOT_STARTED: NOT_STARTED,
    }[strategy.status]
    figures = [Figure("Sources targeted", str(len(strategy.sources))), Figure("Steps planned", str(len(planned)))]
    return RowDraft(Drafted([sentences or [none]]), status, figures)


def step_sentences(w: Words, sources, planned, ref: Figure) -> list[Sentence]:
    """ "As for NIES, TSCC NIES will incorporate ... by December 2026."; steps of no source: "TSCC-CA will ..."."""
    sentences = []
    for source in [None, *sources]:
        steps = [step for step in planned if step.source_id == (source.id if source else None)]
        if not steps:
            continue
        actions = Token("steps", joined([step_text(step) for step in steps]), [ref])
        lead = [] if source is None else ["As for ", Token("source", source.label, [ref]), ", "]
        sentences.append(
            Sentence(
                f"strategy:steps:{source.id if source else 'none'}", [*lead, w.centre_token(), " will ", actions, "."]
            )
        )
    return sentences


def on_or_in(day) -> str:
    return f"{'on' if day.precision == 'day' else 'in'} {day}"


def step_text(step) -> str:
    return step.action.rstrip(".") + (f" by {step.due}" if step.due else "")


def strategy_status_sentence(strategy, ref: Figure) -> Sentence:
    categories = [Category(c) for c in dict.fromkeys(c for s in strategy.sources for c in s.categories)]
    adjectives = [CATEGORY_ADJECTIVES[c] for c in Category if c in categories and c in CATEGORY_ADJECTIVES]
    status = "is being developed"
    if strategy.status == StrategyStatus.ADOPTED:
        status = f"was adopted {on_or_in(strategy.adopted)}" if strategy.adopted else "has been adopted"
    parts = ["A resource mobilization strategy ", Token("status", status, [ref]), " to diversify funding sources"]
    if adjectives:
        parts += [", including ", Token("kinds", f"{joined(adjectives)} contributions", [ref])]
    return Sentence("strategy:status", [*parts, "."])


def additional_row(w: Words, rec: Records) -> RowDraft:
    pools = rec.pools(PoolStatus.ESTABLISHED)
    figures = [
        w.list_ref(f"Experts in {pool.name}", "experts.index", pool.total, pool=pool.pool_id, centre=w.centre.id)
        for pool in pools
    ]
    if not pools:
        none = Token("none", "No expert pool", [w.list_ref("Expert pools", "experts.pools")])
        return RowDraft(single("additional:none", none, " has been established yet."), NOT_STARTED, figures)
    sentences = [pool_sentence(w, pool, rec.roster.host_country, ref) for pool, ref in zip(pools, figures, strict=True)]
    return RowDraft(Drafted([sentences]), IN_PROGRESS, figures)


def pool_sentence(w: Words, pool, host_country: str | None, ref: Figure) -> Sentence:
    """ "TSCC NIES has established an expert pool, the CAST expert database, which covers 162 experts: 121 from
    China and 41 from other countries." """
    origin = ""
    if host_country and (pool.domestic or pool.foreign):
        origin = f": {pool.domestic} from {country_name(host_country)} and {pool.foreign} from other countries"
    return Sentence(
        f"additional:pool:{pool.pool_id}",
        [
            w.centre_token(),
            " has established an expert pool, ",
            Token("pool", with_the_name(pool.name), [ref]),
            ", which covers ",
            Token("count", counted(pool.total, "expert") + origin, [ref]),
            ".",
        ],
    )


def with_the_name(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


# --- narrative and Part III ------------------------------------------------------------------------------------


def worked_well(w: Words, rec: Records) -> Drafted:
    """Points of fact in the reports' register ("In terms of partnership building, ..."), from the records; no
    judgement is added to them."""
    points = []
    developed = rec.developed
    if len(developed) >= LISTED_FROM:
        ref = w.list_ref("Partners developed", "partners.partnerships", stage="engaged", role="partner")
        headings = [heading_in_sentence(h) for h in dict.fromkeys(p.heading for p in developed)]
        points.append(
            [
                Sentence(
                    "worked:partners",
                    [
                        "In terms of partnership building, ",
                        w.centre_token(),
                        " has engaged ",
                        Token("count", counted(len(developed), "partner"), [ref]),
                        ", among them ",
                        Token("types", joined(headings), [ref]),
                        ".",
                    ],
                )
            ]
        )
    phrases = mobilised_phrases(w, rec)
    if phrases:
        refs = entry_refs(w, rec.resources)
        points.append(
            [
                Sentence(
                    "worked:resources",
                    [
                        "In terms of resource mobilization, ",
                        w.centre_token(),
                        " has ",
                        Token("what", joined(phrases), refs),
                        ".",
                    ],
                )
            ]
        )
    return Drafted(points, numbered=True)


def mobilised_phrases(w: Words, rec: Records) -> list[str]:
    """ "mobilized financial and in-kind support from NIES", "secured funding for 3 projects", "obtained 7 interns
    from Tsinghua University"."""
    rows = [r for r in rec.resources if (r.amount or r.quantity or 0) > 0 and r.stage != "pledged"]
    kinds_by_source: dict[queries.OrgRef, set[str]] = defaultdict(set)
    for row in rows:
        if row.source and row.kind != "people_time" and not row.proposal_ids:
            kinds_by_source[row.source].add("financial" if row.kind == "financial" else "in-kind")
    phrases = []
    for source, kinds in kinds_by_source.items():
        support = " and ".join(k for k in ("financial", "in-kind") if k in kinds)
        phrases.append(f"mobilized {support} support from {named(w.name(source))}")
    projects = {pid for row in rows if row.kind == "financial" for pid in row.proposal_ids}
    if projects:
        phrases.append(f"secured funding for {counted(len(projects), 'project')}")
    for row in rows:
        if row.kind == "people_time" and row.quantity:
            source = f" from {named(w.name(row.source))}" if row.source else ""
            phrases.append(f"obtained {quantity_text(row)}{source}")
    return phrases


def challenge_points(w: Words, challenges, attribute: str) -> Drafted:
    """The challenges (or their solutions) staff recorded, as numbered points: "In terms of partnership building,
    cooperation models still need further exploration..."."""
    points = []
    for challenge in challenges:
        text = (getattr(challenge, attribute) or "").strip()
        if not text:
            continue
        text = text if text.endswith((".", "!", "?")) else text + "."
        ref = w.record_ref(f"Challenge noted {challenge.noted}", "reports.challenge_edit", challenge_id=challenge.id)
        lead = (
            [] if text.lower().startswith("in terms of") else [f"In terms of {ChallengeArea(challenge.area).phrase}, "]
        )
        body = in_sentence(text) if lead else text
        points.append([Sentence(f"{attribute}:{challenge.id}", [*lead, Token("text", body.rstrip("."), [ref]), "."])])
    return Drafted(points, numbered=True)


def key_figures(w: Words, rec: Records, converter: Converter) -> tuple[Drafted, list[Figure]]:
    """Part III's quantitative achievement, in the words of the reports ("engaging at least 14 institutions")."""
    w.reset()
    developed, submitted, funded = rec.developed, rec.submitted(), rec.funded()
    partners_ref = w.list_ref(
        "Partners developed", "partners.partnerships", len(developed), stage="engaged", role="partner"
    )
    submitted_ref = w.list_ref("Proposals submitted", "proposals.index", len(submitted), event="submitted")
    funded_ref = w.list_ref("Proposals funded", "proposals.index", len(funded), event="funded")
    money = {
        key: (
            money_text(rec.headline[key], converter),
            w.list_ref(
                label.capitalize(), "funding.index", money_text(rec.headline[key], converter) or "none", headline=key
            ),
        )
        for key, label in (
            ("institutional_support", "institutional support"),
            ("project_funding", "project funding"),
            ("other_funding", "other financial support"),
        )
    }
    pools = rec.pools(PoolStatus.ESTABLISHED)
    pool_refs = [
        w.list_ref(f"Experts in {pool.name}", "experts.index", pool.total, pool=pool.pool_id, centre=w.centre.id)
        for pool in pools
    ]
    sentences = []
    if len(developed) >= LISTED_FROM:
        headings = [heading_in_sentence(h) for h in dict.fromkeys(p.heading for p in developed)]
        sentences.append(
            Sentence(
                "key:partners",
                [
                    w.centre_token(),
                    " has initiated the development of a partnership network, engaging ",
                    Token("count", counted(len(developed), "institution"), [partners_ref]),
                    " across ",
                    Token("types", joined(headings), [partners_ref]),
                    ".",
                ],
            )
        )
    elif developed:
        sentences.append(
            Sentence(
                "key:partners",
                [
                    w.centre_token(),
                    " has engaged ",
                    w.orgs("names", [p.organisation for p in developed], article=True, extra=[partners_ref]),
                    ".",
                ],
            )
        )
    results = []
    if submitted:
        results.append(
            Token("proposals", f"the submission of {counted(len(submitted), 'project proposal')}", [submitted_ref])
        )
    amounts = [
        (f"{text} in {label}", ref)
        for (text, ref), label in zip(
            money.values(), ("institutional support", "project funding", "other financial support"), strict=True
        )
        if text
    ]
    in_kind = [r for r in rec.resources if r.kind != "financial" and r.stage != "pledged"]
    if amounts:
        also = ", with in-kind contributions" if in_kind else ""
        results.append(
            Token("money", f"the mobilization of {joined([a for a, _ in amounts])}{also}", [ref for _, ref in amounts])
        )
    elif in_kind:
        results.append(Token("money", "the mobilization of in-kind contributions", entry_refs(w, in_kind)))
    if pools:
        total = sum(pool.total for pool in pools)
        noun = "an expert pool" if len(pools) == 1 else f"{counted(len(pools), 'expert pool')}"
        results.append(Token("pools", f"the establishment of {noun} comprising {counted(total, 'expert')}", pool_refs))
    if results:
        parts = ["Resource mobilization efforts have yielded "]
        for index, token in enumerate(results):
            if index:
                parts.append(" and " if index == len(results) - 1 else ", ")
            parts.append(token)
        sentences.append(Sentence("key:results", [*parts, "."]))
    elif not submitted:
        sentences.append(
            Sentence(
                "key:results", [Token("none", "No project proposals", [submitted_ref]), " have been submitted yet."]
            )
        )
    figures = [partners_ref, submitted_ref, funded_ref, *(ref for _, ref in money.values()), *pool_refs]
    return Drafted([sentences]), figures


# --- the annex and the synthesis -------------------------------------------------------------------------------


def annex(rec: Records, span: Span, converter: Converter) -> list[AnnexTable]:
    end = f"{span.ends_on:%-d %B %Y}" if span.ends_on else "today"
    partners = AnnexTable(
        "Partners",
        ["Organisation", "Acronym", "Type", "Stage", "Counted"],
        [
            [
                p.organisation.name,
                p.organisation.acronym,
                p.type_name,
                p.stage.label,
                "partner developed"
                if p.is_developed
                else ("potential partner" if p.stage == Stage.IDENTIFIED else p.role.label),
            ]
            for p in rec.partners
        ],
        empty="No partnership is recorded by the end of the period.",
        note="Partners developed: engaged (contacted or further) and not closed; the convention body and the host "
        "institution are reported under area 1.",
    )
    agreements = AnnexTable(
        "Agreements",
        ["Agreement", "Kind", "Counterparts", f"Status on {end}", "Since", "Signed"],
        [
            [
                a.title,
                a.kind.label,
                ", ".join(c.short for c in a.counterparts),
                a.status.label,
                str(a.status_since or ""),
                str(a.signed or ""),
            ]
            for a in rec.agreements
        ],
        empty="No agreement of this area is recorded.",
        note="Host agreements and memoranda of agreement establishing the centre are reported under area 1.",
    )
    listed = [p for p in rec.proposals if p.submitted_in_period or p.funded_in_period or p.status in OPEN_VALUES]
    proposals = AnnexTable(
        "Project proposals",
        ["Proposal", "Funder", f"Status on {end}", "Submitted", "Requested", "Awarded"],
        [
            [
                p.title,
                p.funder.short,
                ProposalStatus(p.status).label,
                f"{p.submitted_on:%-d %B %Y}"
                if p.submitted_on
                else ("in this period" if p.submitted_in_period else ""),
                unbroken(amount_text(p.requested)) if p.requested else "",
                unbroken(amount_text(p.awarded)) if p.awarded else "",
            ]
            for p in listed
        ],
        empty="No proposal was submitted, funded or open in the period.",
    )
    resources = AnnexTable(
        "Resources mobilized",
        ["Booked", "Source", "What", "Kind and stage", "Amount", COMPARISON_CURRENCY, "Rate"],
        [resource_line(r, converter) for r in rec.resources],
        empty="No resource is booked in the period.",
        note=f"Each amount converted on its own at the rate of {end}, rounded to the cent; totals in the section "
        "are converted from their exact sums.",
    )
    return [partners, agreements, proposals, resources]


def resource_line(row: queries.ResourceRow, converter: Converter) -> list[str]:
    money = row.money
    converted, rate = annex_conversion(converter, money) if money else ("", "")
    what = row.purpose_detail or row.description
    if row.is_withdrawal:
        what = f"withdrawal: {what}"
    kind = {"financial": "Financial", "in_kind": "In kind", "people_time": "People's time"}[row.kind]
    amount = unbroken(amount_text(money)) if money else quantity_text(row)
    if money and row.quantity is not None:
        amount += f" ({quantity_text(row)})"
    return [
        unbroken(f"{row.booked_on:%-d %b %Y}") if row.booked_on else "",
        row.source.short if row.source else "",
        what,
        f"{kind}, {row.stage}",
        amount,
        converted,
        rate,
    ]


def synthesis(rec: Records) -> Synthesis:
    return Synthesis(
        partners_developed=len(rec.developed),
        proposals_submitted=len(rec.submitted()),
        proposals_funded=len(rec.funded()),
        mobilised={code: str(amount) for code, amount in rec.headline["total"].items()},
        in_kind=[in_kind_line(r) for r in rec.resources if r.kind != "financial" and r.stage != "pledged"],
    )


def in_kind_line(row: queries.ResourceRow) -> str:
    """ "Office space, office equipment, ... (3 staff workplaces), from NIES"."""
    what = row.description or row.purpose_detail or row.kind.replace("_", " ")
    quantity = quantity_text(row)
    if quantity and row.unit.lower() not in what.lower():
        what += f" ({quantity})"
    return what + (f", from {row.source.short}" if row.source else "")


# --- the section ------------------------------------------------------------------------------------------------


ROW_DRAFTERS = {
    "partnerships": lambda w, rec, converter: partnerships_row(w, rec),
    "proposals": lambda w, rec, converter: proposals_row(w, rec),
    "resources": resources_row,
    "strategy": lambda w, rec, converter: strategy_row(w, rec),
    "additional": lambda w, rec, converter: additional_row(w, rec),
}


def draft(centre, period, order: list[str] | None = None, language: str = FILED_LANGUAGE) -> Draft:
    """The section drafted from what counts in the period (``crm.core.periods``), as every page counts it.

    ``order``: the template rows the section shows, in its order (hidden ones left out): names are given in full
    at their first mention in that order. ``language``: "en", as the report is filed; "zh_Hans_CN" or "ru" for a
    working copy, drafted from the same records in that language."""
    # The report is filed in English whatever language the interface is in: the choices' labels it quotes
    # (categories, kinds, stages) are read in English; a working copy reads them, and every word, in its language.
    with force_locale(language):
        return _draft(centre, period, order)


def _draft(centre, period, order: list[str] | None) -> Draft:
    span = Span.of(period)
    rec = gather(centre, span)
    currencies = {r.currency for r in rec.resources if r.currency} | {c for sums in rec.headline.values() for c in sums}
    targets = list(dict.fromkeys([centre.reporting_currency, COMPARISON_CURRENCY]))
    converter = Converter(currencies, targets, period)
    w = Words(centre, span)
    outcome = single(
        "outcome",
        w.centre_token(),
        " initiates partnership development and begins the process of identifying and developing sustainable, "
        "long-term resource mobilization.",
    )
    keys = order if order is not None else list(ROW_DRAFTERS)
    rows = {key: ROW_DRAFTERS[key](w, rec, converter) for key in keys if key in ROW_DRAFTERS}
    narrative = (
        worked_well(w, rec),
        challenge_points(w, rec.challenges, "challenge"),
        challenge_points(w, rec.challenges, "solution"),
    )
    key_text, key_list = key_figures(w, rec, converter)
    tables = annex(rec, span, converter)
    return Draft(
        outcome=outcome,
        rows=rows,
        worked_well=narrative[0],
        challenges=narrative[1],
        solutions=narrative[2],
        key_figures=key_text,
        key_figure_list=key_list,
        reporting_currency=centre.reporting_currency,
        conversion_policy=converter.statement() if currencies else "",
        rates_used=converter.rates_used,
        annex=tables,
        synthesis=synthesis(rec),
    )
