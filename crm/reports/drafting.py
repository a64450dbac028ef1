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

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _

from crm.agreements.models import AgreementStatus
from crm.core.i18n import country_name
from crm.core.periods import Span
from crm.experts.models import PoolStatus
from crm.experts.queries import roster_counts
from crm.funding.models import Category, StrategyStatus
from crm.funding.queries import headline_figures, open_needs, strategy_of
from crm.money.conversion import Conversion, ConversionError, RateBook
from crm.money.display import plain_decimal
from crm.money.policy import DEFAULT_SOURCES, Policy
from crm.money.value import Money
from crm.partners.models import PartnershipRole, Stage, shown_type_heading
from crm.proposals.models import ProposalStatus
from crm.proposals.queries import OPEN, PREPARING
from crm.reports import queries
from crm.reports.linked import Drafted, Sentence, Token, sentence
from crm.reports.models import ChallengeArea
from crm.reports.prose import (
    capitalised,
    counted,
    english,
    figure,
    heading_in_sentence,
    in_sentence,
    joined,
    locale_id,
    named,
    ngettext,
    number,
    quoted,
    semicolons,
    with_the,
)
from crm.reports.section import FILED_LANGUAGE, N_, AnnexTable, Figure, OutputStatus, RateUsed, Synthesis

NOT_STARTED, IN_PROGRESS, COMPLETED = (s.value for s in OutputStatus)
# How a conversion went (``crm.money.conversion.Conversion.path``), as the annex of rates says it.
PATHS = {
    "same currency": N_("same currency"),
    "direct": N_("direct"),
    "inverse": N_("inverse"),
    "via USD": N_("via USD"),
    "via EUR": N_("via EUR"),
}
AWAITING_DECISION = {ProposalStatus.SUBMITTED.value, ProposalStatus.UNDER_REVIEW.value}
PREPARING_VALUES = {s.value for s in PREPARING}
OPEN_VALUES = {s.value for s in OPEN}
# Amounts are also given in US dollars, the currency the GCE compares centres in.
COMPARISON_CURRENCY = "USD"
# How a strategy's source categories read in "diversify funding sources, including institutional ... contributions".
CATEGORY_ADJECTIVES = {
    Category.HOST_INSTITUTION: N_("institutional"),
    Category.BILATERAL: N_("bilateral"),
    Category.MULTILATERAL: N_("multilateral"),
    Category.GOVERNMENT: N_("government"),
    Category.PRIVATE_SECTOR: N_("private sector"),
    Category.FOUNDATION_NGO: N_("foundation and NGO"),
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
# The same in a working copy: (now, since a date), each one phrase of its language.
AGREEMENT_STATUS = {
    AgreementStatus.DRAFTING: (N_("is being drafted"), N_("has been in drafting since %(date)s")),
    AgreementStatus.UNDER_NEGOTIATION: (N_("is under negotiation"), N_("has been under negotiation since %(date)s")),
    AgreementStatus.LEGAL_REVIEW: (N_("is under legal review"), N_("has been under legal review since %(date)s")),
    AgreementStatus.AUTHORITY_APPROVAL: (N_("is awaiting approval"), N_("has been awaiting approval since %(date)s")),
    AgreementStatus.SIGNED: (N_("has been signed"), N_("was signed on %(date)s")),
    AgreementStatus.IN_FORCE: (N_("is in force"), N_("has been in force since %(date)s")),
    AgreementStatus.EXPIRED: (N_("has expired"), N_("expired on %(date)s")),
    AgreementStatus.TERMINATED: (N_("has been terminated"), N_("was terminated on %(date)s")),
    AgreementStatus.ABANDONED: (N_("has been abandoned"), N_("was abandoned on %(date)s")),
}
# Annex words of a resource's kind and stage.
KIND_WORDS = {"financial": N_("Financial"), "in_kind": N_("In kind"), "people_time": N_("People's time")}
STAGE_WORDS = {"pledged": N_("pledged"), "committed": N_("committed"), "received": N_("received")}
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
    """ "RMB 500,000"; in a working copy, in its language's number format, the code where it puts it
    ("1 150 000 RMB")."""
    rounded = money.rounded().amount
    if not english():
        pattern = "#,##0" if rounded == rounded.to_integral_value() else "#,##0.00"
        number_ = format_decimal(rounded, format=pattern, locale=locale_id())
        before = "¤" in Locale.parse(locale_id()).currency_formats["standard"].pattern.split("#")[0]
        code = display_currency(money.currency)
        return f"{code}\u00a0{number_}" if before else f"{number_}\u00a0{code}"
    number_ = f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded:,}"
    return f"{display_currency(money.currency)} {number_}"


def and_joined(items: list[str]) -> str:
    """Amounts in several currencies, "RMB 1,000 and USD 50" (never added); a working copy joins them in its way."""
    return " and ".join(items) if english() else joined(items)


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
                rate=plain_decimal(leg.value),
                effective_on=leg.effective_on.isoformat(),
                source=_(
                    "%(source)s, used for %(currency)s → %(target)s (%(path)s)",
                    source=leg.source_label,
                    currency=conversion.money.currency,
                    target=conversion.target,
                    path=_(PATHS[conversion.path]) if conversion.path in PATHS else conversion.path,
                ),
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
    return and_joined([amount_text(m) + converter.equivalents(m) for m in money_totals(rows).values()])


def money_text(amounts: dict[str, Decimal], converter: Converter) -> str:
    return and_joined([amount_text(m) + converter.equivalents(m) for m in (Money(a, c) for c, a in amounts.items())])


def annex_conversion(converter: Converter, money: Money) -> tuple[str, str]:
    """An annex row's amount in US dollars and the rate it was converted at: the one place the annex cites a
    rate (the money domain's own citation)."""
    if money.currency == COMPARISON_CURRENCY:
        return unbroken(amount_text(money)), _("not converted")
    result = converter.convert(money, COMPARISON_CURRENCY)
    if isinstance(result, ConversionError):
        return "—", _("not converted: %(reason)s", reason=result.not_converted)
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


def single(key: str, template: str, **values) -> Drafted:
    return Drafted([[sentence(key, template, **values)]])


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
            sentence(
                "partners:count",
                _("%(centre)s has initiated engagement with %(count)s."),
                centre=w.centre_token(),
                count=Token("count", counted(len(developed), "partner"), [count_ref]),
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
            sentence(
                "partners:identified",
                _("A list of %(count)s has been identified: %(names)s."),
                count=Token("count", counted(len(identified), "potential partner"), [ref]),
                names=w.orgs("names", [p.organisation for p in identified]),
            )
        )
    if rec.agreements:
        figures.append(w.list_ref("Agreements", "agreements.index", len(rec.agreements), area="partnerships"))
    if not sentences:
        none = Token("none", _("No partnerships"), [count_ref])
        return RowDraft(
            single("partners:none", _("%(none)s have been developed yet."), none=none), NOT_STARTED, figures
        )
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
        heading = shown_type_heading(members[0].heading)
        ref = w.list_ref(heading, "partners.partnerships", len(members), stage="engaged", role="partner", type=code)
        template = _("These include %(heading)s: %(names)s.") if index == 0 else _("%(heading)s: %(names)s.")
        sentences.append(
            sentence(
                f"partners:type:{code}",
                template,
                heading=Token("heading", heading),
                names=w.orgs("names", [m.organisation for m in members], extra=[ref]),
            )
        )
    return sentences


def stage_sentences(w: Words, partners, by_agreement: set[int], listed: bool) -> list[Sentence]:
    """How far cooperation has come with the partners past first contact; those still at first contact are named
    here only when the row does not list every partner by type."""
    phrases = (
        (Stage.CONTACTED, "partners:contacted", N_("%(centre)s has initiated engagement with %(names)s.")),
        (Stage.IN_DISCUSSION, "partners:discussion", N_("Cooperation is being discussed with %(names)s.")),
        (Stage.AGREEMENT_IN_PREPARATION, "partners:agreement", N_("An agreement is being prepared with %(names)s.")),
        (Stage.ACTIVE, "partners:active", N_("Joint work is under way with %(names)s.")),
    )
    sentences = []
    for stage, key, phrase in phrases:
        if stage == Stage.CONTACTED and listed:
            continue
        members = [p for p in partners if p.stage == stage and p.organisation.id not in by_agreement]
        if not members:
            continue
        names = w.orgs("names", [m.organisation for m in members], article=True)
        sentences.append(sentence(key, _(phrase), centre=w.centre_token(), names=names))
    return sentences


def agreement_status(agreement: queries.AgreementRow) -> str:
    """ "has been under negotiation since 2026", "was signed on 12 May 2025", "is being drafted"."""
    when = (
        agreement.signed if agreement.status == AgreementStatus.SIGNED and agreement.signed else agreement.status_since
    )
    if not english():
        now, since = AGREEMENT_STATUS[agreement.status]
        return _(since, date=partial_text(when)) if when is not None else _(now)
    now, since = AGREEMENT_PHRASES[agreement.status]
    if when is not None:
        preposition = "" if since.endswith("since") else (" on" if when.precision == "day" else " in")
        return f"{since}{preposition} {when}"
    return now


def agreement_sentence(w: Words, agreement: queries.AgreementRow) -> Sentence:
    """ "A draft cooperation agreement with the Regional Environmental Centre for Central Asia (RECCA) has been under
    negotiation since 2026." """
    ref = w.record_ref(agreement.title, "agreements.show", agreement_id=agreement.id)
    kind = in_sentence(agreement.kind.label)
    status = Token("status", agreement_status(agreement), [ref])
    key = f"agreement:{agreement.id}"
    if agreement.counterparts:
        counterparts = w.orgs("counterparts", agreement.counterparts, article=True, extra=[ref])
        template = (
            _("A draft %(kind)s with %(counterparts)s %(status)s.")
            if agreement.is_open
            else _("The %(kind)s with %(counterparts)s %(status)s.")
        )
        return sentence(key, template, kind=kind, counterparts=counterparts, status=status)
    template = _("A draft %(kind)s %(status)s.") if agreement.is_open else _("The %(kind)s %(status)s.")
    return sentence(key, template, kind=kind, status=status)


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
            sentence(
                "proposals:submitted",
                ngettext(
                    "%(count)s has been submitted: %(list)s.",
                    "%(count)s have been submitted: %(list)s.",
                    len(submitted),
                ),
                count=Token("count", counted(len(submitted), "project proposal", opening=True), [refs["submitted"]]),
                list=Token("list", by_funder(w, submitted), [refs["submitted"]]),
            )
        )
        sentences += decisions(w, submitted, funded, refs)
    elif funded:
        sentences += decisions(w, submitted, funded, refs)
    if preparing:
        noun = "more proposal" if submitted else "proposal"
        funders = unique([p.funder for p in preparing])
        sentences.append(
            sentence(
                "proposals:preparing",
                ngettext(
                    "%(count)s is in preparation, targeting %(funders)s.",
                    "%(count)s are in preparation, targeting %(funders)s.",
                    len(preparing),
                ),
                count=Token("count", counted(len(preparing), noun, opening=True), [refs["preparing"]]),
                funders=w.orgs("funders", funders, article=True),
            )
        )
    if not submitted:
        none = Token("none", _("No project proposals"), [refs["submitted"]])
        sentences.insert(0, sentence("proposals:none", _("%(none)s have been submitted yet."), none=none))
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
    items = [
        _("to %(funder)s, %(titles)s", funder=named(w.name(funder)), titles=joined(titles))
        for funder, titles in groups.items()
    ]
    return semicolons(items)


def decisions(w: Words, submitted, funded, refs) -> list[Sentence]:
    """What became of the proposals: funded (by whom), awaiting a decision, not funded."""
    sentences = []
    among = {p.id for p in submitted}
    if funded:
        of_them = all(p.id in among for p in funded) and submitted
        if of_them and english():
            subject = f"{number(len(funded), opening=True)} of them"
        elif of_them:
            subject = _("%(num)s of them", num=number(len(funded)))
        else:
            subject = counted(len(funded), "proposal", opening=True)
        sentences.append(
            sentence(
                "proposals:funded",
                ngettext(
                    "%(count)s has been funded, by %(funders)s.",
                    "%(count)s have been funded, by %(funders)s.",
                    len(funded),
                ),
                count=Token("count", subject, [refs["funded"]]),
                funders=w.orgs("funders", unique([p.funder for p in funded]), article=True),
            )
        )
    awaiting = [p for p in submitted if p.status in AWAITING_DECISION]
    if awaiting and funded:
        subject = None
        if len(awaiting) + len(funded) == len(submitted):
            subject = (
                f"The other {number(len(awaiting), words=True)}"
                if english()
                else _("The other %(num)s", num=number(len(awaiting)))
            )
        subject = subject or counted(len(awaiting), "proposal", opening=True)
        sentences.append(
            sentence(
                "proposals:awaiting",
                ngettext("%(count)s awaits a decision.", "%(count)s await a decision.", len(awaiting)),
                count=Token("count", subject, [refs["submitted"]]),
            )
        )
    rejected = [p for p in submitted if p.status == ProposalStatus.REJECTED.value]
    if rejected:
        sentences.append(
            sentence(
                "proposals:rejected",
                ngettext("%(count)s was not funded.", "%(count)s were not funded.", len(rejected)),
                count=Token("count", counted(len(rejected), "proposal", opening=True), [refs["submitted"]]),
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
        template = (
            _("%(centre)s has mobilized %(total)s in financial resources, as well as in-kind contributions.")
            if in_kind or people
            else _("%(centre)s has mobilized %(total)s in financial resources.")
        )
        sentences.append(
            sentence(
                "resources:total",
                template,
                centre=w.centre_token(),
                total=Token("total", totals_text(committed, converter), [total_ref]),
            )
        )
    sentences += source_sentences(w, others)
    if projects:
        sentences.append(project_sentence(w, projects))
    if pledged:
        sentences.append(
            sentence(
                "resources:pledged",
                _("Pledges not yet committed amount to %(total)s: %(items)s."),
                total=Token(
                    "total",
                    totals_text(pledged, converter),
                    [w.list_ref("Pledged", "funding.index", kind="financial", measure="pledged")],
                ),
                items=Token("items", joined([amount_for(w, r) for r in pledged]), entry_refs(w, pledged)),
            )
        )
    if withdrawn:
        sentences.append(
            sentence(
                "resources:withdrawn",
                ngettext(
                    "%(items)s, pledged or committed before this period, was withdrawn during it.",
                    "%(items)s, pledged or committed before this period, were withdrawn during it.",
                    len(withdrawn),
                ),
                items=Token(
                    "items", joined([amount_for(w, r, negated=True) for r in withdrawn]), entry_refs(w, withdrawn)
                ),
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
            sentence(
                "resources:needs",
                _("Financial resources are still required for %(needs)s."),
                needs=Token(
                    "needs",
                    joined([in_sentence(need.title) for need in rec.needs]),
                    [w.list_ref("Open funding needs", "funding.index")],
                ),
            )
        )
        figures.append(Figure("Open funding needs", str(len(rec.needs))))
    if not rows:
        none = Token("none", _("No resources"), [w.list_ref("Resources", "funding.index")])
        sentences.insert(0, sentence("resources:none", _("%(none)s have been mobilized yet."), none=none))
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
    origin = named(w.name(row.source)) if source and row.source else ""
    purpose = purpose_of(row)
    if english():
        text += f" from {origin}" if origin else ""
        return text + (f" for {purpose}" if purpose else "")
    if origin and purpose:
        return _("%(amount)s from %(source)s for %(purpose)s", amount=text, source=origin, purpose=purpose)
    if origin:
        return _("%(amount)s from %(source)s", amount=text, source=origin)
    return _("%(amount)s for %(purpose)s", amount=text, purpose=purpose) if purpose else text


def source_sentences(w: Words, rows) -> list[Sentence]:
    """ "The Nanjing Institute of Environmental Sciences (NIES) has committed RMB 500,000 for ... and RMB 400,000
    for ..."."""
    by_source: dict[queries.OrgRef | None, list[queries.ResourceRow]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    sentences = []
    for source, entries in by_source.items():
        provided = all(r.stage == "received" for r in entries)
        items = Token("amounts", joined([amount_for(w, r, source=False) for r in entries]), entry_refs(w, entries))
        key = f"resources:source:{source.id if source else 'none'}"
        if source is None:
            template = (
                ngettext("%(amounts)s has been provided.", "%(amounts)s have been provided.", len(entries))
                if provided
                else ngettext("%(amounts)s has been committed.", "%(amounts)s have been committed.", len(entries))
            )
            sentences.append(sentence(key, template, amounts=items))
        else:
            template = (
                _("%(source)s has provided %(amounts)s.") if provided else _("%(source)s has committed %(amounts)s.")
            )
            source_token = w.org("source", source, article=True, opening=True)
            sentences.append(sentence(key, template, source=source_token, amounts=items))
    return sentences


def project_sentence(w: Words, rows) -> Sentence:
    projects = {pid for row in rows for pid in row.proposal_ids}
    ref = w.list_ref("Proposals funded", "proposals.index", event="funded")
    return sentence(
        "resources:projects",
        _("Funding has been secured for %(count)s: %(amounts)s."),
        count=Token("count", counted(len(projects), "project"), [ref]),
        amounts=Token("amounts", joined([amount_for(w, r) for r in rows]), entry_refs(w, rows)),
    )


def quantity_text(row: queries.ResourceRow) -> str:
    if row.quantity is None:
        return ""
    if not english():
        return f"{format_decimal(row.quantity.normalize(), format='#,##0.####', locale=locale_id())} {row.unit}".strip()
    return f"{row.quantity.normalize():f} {row.unit}".strip()


def in_kind_sentence(w: Words, row: queries.ResourceRow, first: bool) -> Sentence:
    """ "In the form of in-kind contributions, NIES has provided office space, office equipment, ... (3 staff
    workplaces)." """
    what = in_sentence(row.description) if row.description else purpose_of(row) or _("support")
    quantity = quantity_text(row)
    if quantity and row.unit and row.unit.lower() not in what.lower():
        what += f" ({quantity})"
    if row.amount is not None:
        valued = amount_text(Money(row.amount, row.currency))
        what = (
            f"{what}, valued at {valued}"
            if english()
            else _("%(what)s, valued at %(amount)s", what=what, amount=valued)
        )
    refs = entry_refs(w, [row])
    key = f"resources:in_kind:{row.id}"
    if row.source is None:
        if first:
            return sentence(
                key,
                _("In the form of in-kind contributions, %(what)s has been provided."),
                what=Token("what", what, refs),
            )
        return sentence(key, _("%(what)s has been provided."), what=Token("what", capitalised(what), refs))
    source = w.org("source", row.source, article=True, opening=not first)
    template = (
        _("In the form of in-kind contributions, %(source)s has provided %(what)s.")
        if first
        else _("%(source)s has provided %(what)s.")
    )
    return sentence(key, template, source=source, what=Token("what", what, refs))


def people_sentence(w: Words, row: queries.ResourceRow) -> Sentence:
    """ "In addition, 7 interns recruited through Tsinghua University's Global Leadership Program have been mobilized
    for TSCC NIES-related activities and projects." """
    description = in_sentence(row.description) if row.description else ""
    if description and row.unit and description.lower().startswith(row.unit.lower()):
        count = number(int(row.quantity)) if row.quantity == int(row.quantity) else row.quantity
        who = f"{count} {description}"
    else:
        who = quantity_text(row) + (f" ({description})" if description else "")
    purpose = purpose_of(row)
    refs = entry_refs(w, [row])
    plural = row.quantity != 1
    mentions_source = row.source and any(
        name and name.lower() in description.lower() for name in (row.source.name, row.source.acronym)
    )
    values = {"who": Token("who", who, refs)}
    if purpose:
        values["purpose"] = Token("purpose", purpose, refs)
    if row.source and not mentions_source:
        values["source"] = w.org("source", row.source, article=True)
        template = (
            _("In addition, %(source)s has provided %(who)s for %(purpose)s.")
            if purpose
            else _("In addition, %(source)s has provided %(who)s.")
        )
    elif purpose:
        template = (
            _("In addition, %(who)s have been mobilized for %(purpose)s.")
            if plural
            else _("In addition, %(who)s has been mobilized for %(purpose)s.")
        )
    else:
        template = (
            _("In addition, %(who)s have been mobilized.") if plural else _("In addition, %(who)s has been mobilized.")
        )
    return sentence(f"resources:people:{row.id}", template, **values)


def candidates_sentence(w: Words, pool) -> Sentence:
    """TSCC-CA's words: "The initial list of possible consultants for the TSCC's work has been determined." """
    ref = w.list_ref(pool.name, "experts.index", pool.total, pool=pool.pool_id, centre=w.centre.id)
    if english():
        noun = pool.name.lower() if len(pool.name.split()) == 1 else f"experts and consultants ({pool.name})"
        count = f"{pool.total} possible {noun}"
    else:
        count = ngettext(
            "%(num)s possible expert or consultant (%(pool)s)",
            "%(num)s possible experts and consultants (%(pool)s)",
            pool.total,
        ) % {"num": figure(pool.total), "pool": pool.name}
    return sentence(
        f"resources:pool:{pool.pool_id}",
        _("An initial list of %(count)s has been determined."),
        count=Token("count", count, [ref]),
    )


def strategy_row(w: Words, rec: Records) -> RowDraft:
    strategy = rec.strategy
    ref = w.record_ref("Resource mobilisation strategy", "funding.strategy", centre_id=w.centre.id)
    none = sentence(
        "strategy:none",
        _("%(none)s has not been developed yet."),
        none=Token("none", _("A resource mobilization strategy"), [ref]),
    )
    if strategy is None:
        return RowDraft(Drafted([[none]]), NOT_STARTED)
    # A centre with steps but no strategy document: the row's status says "Not started"; the steps say the rest.
    sentences = [] if strategy.status == StrategyStatus.NOT_STARTED else [strategy_status_sentence(strategy, ref)]
    if len(strategy.sources) > 1:
        sentences.append(
            sentence(
                "strategy:sources",
                _("To build sustainable resource support, %(centre)s will draw on resources from %(sources)s."),
                centre=w.centre_token(),
                sources=Token("sources", joined([source.label for source in strategy.sources]), [ref]),
            )
        )
    end = w.span.ends_on
    done = [step for step in strategy.steps if step.done and (end is None or step.done.start <= end)]
    planned = [step for step in strategy.steps if step not in done]
    sentences += step_sentences(w, strategy.sources, planned, ref)
    for step in done:
        action = Token("action", step.action.rstrip("."), [ref])
        template = (
            _("%(centre)s set out to %(action)s; this was done on %(date)s.")
            if step.done.precision == "day"
            else _("%(centre)s set out to %(action)s; this was done in %(date)s.")
        )
        sentences.append(
            sentence(
                f"strategy:done:{step.id}",
                template,
                centre=w.centre_token(),
                action=action,
                date=partial_text(step.done),
            )
        )
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
        key = f"strategy:steps:{source.id if source else 'none'}"
        if source is None:
            sentences.append(sentence(key, _("%(centre)s will %(steps)s."), centre=w.centre_token(), steps=actions))
        else:
            sentences.append(
                sentence(
                    key,
                    _("As for %(source)s, %(centre)s will %(steps)s."),
                    source=Token("source", source.label, [ref]),
                    centre=w.centre_token(),
                    steps=actions,
                )
            )
    return sentences


def partial_text(day) -> str:
    """A partial date as the drafting language writes it: "2026", "March 2026", "17 March 2026" in English (as
    always), "2026年3月17日", "17 марта 2026 г." in a working copy."""
    if english():
        return str(day)
    chinese = locale_id().startswith("zh")
    if day.precision == "year":
        return f"{day.start.year}年" if chinese else str(day.start.year)
    # Russian without its "г.": a date closing a sentence would end in two full stops.
    if day.precision == "month":
        return format_date(day.start, "y年M月" if chinese else "LLLL y", locale=locale_id())
    return format_date(day.start, "long" if chinese else "d MMMM y", locale=locale_id())


def on_or_in(day) -> str:
    return f"{'on' if day.precision == 'day' else 'in'} {day}"


def step_text(step) -> str:
    action = step.action.rstrip(".")
    if not step.due:
        return action
    return (
        f"{action} by {step.due}"
        if english()
        else _("%(action)s by %(date)s", action=action, date=partial_text(step.due))
    )


def strategy_status_sentence(strategy, ref: Figure) -> Sentence:
    categories = [Category(c) for c in dict.fromkeys(c for s in strategy.sources for c in s.categories)]
    adjectives = [CATEGORY_ADJECTIVES[c] for c in Category if c in categories and c in CATEGORY_ADJECTIVES]
    if strategy.status == StrategyStatus.ADOPTED and strategy.adopted:
        status = (
            _("was adopted on %(date)s", date=partial_text(strategy.adopted))
            if strategy.adopted.precision == "day"
            else _("was adopted in %(date)s", date=partial_text(strategy.adopted))
        )
    elif strategy.status == StrategyStatus.ADOPTED:
        status = _("has been adopted")
    else:
        status = _("is being developed")
    status_token = Token("status", status, [ref])
    if adjectives:
        kinds = (
            f"{joined(adjectives)} contributions"
            if english()
            else _("%(kinds)s contributions", kinds=joined([_(a) for a in adjectives]))
        )
        return sentence(
            "strategy:status",
            _("A resource mobilization strategy %(status)s to diversify funding sources, including %(kinds)s."),
            status=status_token,
            kinds=Token("kinds", kinds, [ref]),
        )
    return sentence(
        "strategy:status",
        _("A resource mobilization strategy %(status)s to diversify funding sources."),
        status=status_token,
    )


def additional_row(w: Words, rec: Records) -> RowDraft:
    pools = rec.pools(PoolStatus.ESTABLISHED)
    figures = [
        w.list_ref(f"Experts in {pool.name}", "experts.index", pool.total, pool=pool.pool_id, centre=w.centre.id)
        for pool in pools
    ]
    if not pools:
        none = Token("none", _("No expert pool"), [w.list_ref("Expert pools", "experts.pools")])
        return RowDraft(
            single("additional:none", _("%(none)s has been established yet."), none=none), NOT_STARTED, figures
        )
    sentences = [pool_sentence(w, pool, rec.roster.host_country, ref) for pool, ref in zip(pools, figures, strict=True)]
    return RowDraft(Drafted([sentences]), IN_PROGRESS, figures)


def pool_sentence(w: Words, pool, host_country: str | None, ref: Figure) -> Sentence:
    """ "TSCC NIES has established an expert pool, the CAST expert database, which covers 162 experts: 121 from
    China and 41 from other countries." """
    count = counted(pool.total, "expert")
    if host_country and (pool.domestic or pool.foreign):
        count = _(
            "%(count)s: %(domestic)s from %(country)s and %(foreign)s from other countries",
            count=count,
            domestic=number(pool.domestic),
            country=country_name(host_country)
            if english()
            else Locale.parse(locale_id()).territories.get(host_country, host_country),
            foreign=number(pool.foreign),
        )
    return sentence(
        f"additional:pool:{pool.pool_id}",
        _("%(centre)s has established an expert pool, %(pool)s, which covers %(count)s."),
        centre=w.centre_token(),
        pool=Token("pool", with_the_name(pool.name), [ref]),
        count=Token("count", count, [ref]),
    )


def with_the_name(name: str) -> str:
    if not english():
        return quoted(name) if locale_id().startswith("ru") else name
    return name if name.lower().startswith("the ") else f"the {name}"


# --- narrative and Part III ------------------------------------------------------------------------------------


def worked_well(w: Words, rec: Records) -> Drafted:
    """Points of fact in the reports' register ("In terms of partnership building, ..."), from the records; no
    judgement is added to them."""
    points = []
    developed = rec.developed
    if len(developed) >= LISTED_FROM:
        ref = w.list_ref("Partners developed", "partners.partnerships", stage="engaged", role="partner")
        headings = [heading_in_sentence(shown_type_heading(h)) for h in dict.fromkeys(p.heading for p in developed)]
        points.append(
            [
                sentence(
                    "worked:partners",
                    _("In terms of partnership building, %(centre)s has engaged %(count)s, among them %(types)s."),
                    centre=w.centre_token(),
                    count=Token("count", counted(len(developed), "partner"), [ref]),
                    types=Token("types", joined(headings), [ref]),
                )
            ]
        )
    phrases = mobilised_phrases(w, rec)
    if phrases:
        refs = entry_refs(w, rec.resources)
        points.append(
            [
                sentence(
                    "worked:resources",
                    _("In terms of resource mobilization, %(centre)s has %(what)s."),
                    centre=w.centre_token(),
                    what=Token("what", joined(phrases), refs),
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
        name = named(w.name(source))
        if english():
            support = " and ".join(k for k in ("financial", "in-kind") if k in kinds)
            phrases.append(f"mobilized {support} support from {name}")
        elif kinds == {"financial", "in-kind"}:
            phrases.append(_("mobilized financial and in-kind support from %(source)s", source=name))
        elif "financial" in kinds:
            phrases.append(_("mobilized financial support from %(source)s", source=name))
        else:
            phrases.append(_("mobilized in-kind support from %(source)s", source=name))
    projects = {pid for row in rows if row.kind == "financial" for pid in row.proposal_ids}
    if projects:
        phrases.append(_("secured funding for %(count)s", count=counted(len(projects), "project")))
    for row in rows:
        if row.kind == "people_time" and row.quantity:
            if row.source:
                phrases.append(
                    _("obtained %(what)s from %(source)s", what=quantity_text(row), source=named(w.name(row.source)))
                )
            else:
                phrases.append(_("obtained %(what)s", what=quantity_text(row)))
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
        key = f"{attribute}:{challenge.id}"
        if text.lower().startswith("in terms of"):
            points.append([sentence(key, "%(text)s.", text=Token("text", text.rstrip("."), [ref]))])
            continue
        template = (
            _("In terms of partnership building, %(text)s.")
            if ChallengeArea(challenge.area) == ChallengeArea.PARTNERSHIPS
            else _("In terms of resource mobilization, %(text)s.")
        )
        points.append([sentence(key, template, text=Token("text", in_sentence(text).rstrip("."), [ref]))])
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
        headings = [heading_in_sentence(shown_type_heading(h)) for h in dict.fromkeys(p.heading for p in developed)]
        sentences.append(
            sentence(
                "key:partners",
                _(
                    "%(centre)s has initiated the development of a partnership network, engaging %(count)s across "
                    "%(types)s."
                ),
                centre=w.centre_token(),
                count=Token("count", counted(len(developed), "institution"), [partners_ref]),
                types=Token("types", joined(headings), [partners_ref]),
            )
        )
    elif developed:
        sentences.append(
            sentence(
                "key:partners",
                _("%(centre)s has engaged %(names)s."),
                centre=w.centre_token(),
                names=w.orgs("names", [p.organisation for p in developed], article=True, extra=[partners_ref]),
            )
        )
    results = []
    if submitted:
        results.append(
            Token(
                "proposals",
                _("the submission of %(count)s", count=counted(len(submitted), "project proposal")),
                [submitted_ref],
            )
        )
    labels = (_("in institutional support"), _("in project funding"), _("in other financial support"))
    amounts = [
        (_("%(amount)s %(label)s", amount=text, label=label), ref)
        for (text, ref), label in zip(money.values(), labels, strict=True)
        if text
    ]
    in_kind = [r for r in rec.resources if r.kind != "financial" and r.stage != "pledged"]
    if amounts:
        mobilised = joined([a for a, _ref in amounts])
        text = (
            _("the mobilization of %(amounts)s, with in-kind contributions", amounts=mobilised)
            if in_kind
            else _("the mobilization of %(amounts)s", amounts=mobilised)
        )
        results.append(Token("money", text, [ref for _amount, ref in amounts]))
    elif in_kind:
        results.append(Token("money", _("the mobilization of in-kind contributions"), entry_refs(w, in_kind)))
    if pools:
        total = counted(sum(pool.total for pool in pools), "expert")
        text = (
            _("the establishment of an expert pool comprising %(total)s", total=total)
            if len(pools) == 1
            else _(
                "the establishment of %(pools)s comprising %(total)s",
                pools=counted(len(pools), "expert pool"),
                total=total,
            )
        )
        results.append(Token("pools", text, pool_refs))
    if results:
        values = {f"result{index}": token for index, token in enumerate(results)}
        template = {
            1: _("Resource mobilization efforts have yielded %(result0)s."),
            2: _("Resource mobilization efforts have yielded %(result0)s and %(result1)s."),
            3: _("Resource mobilization efforts have yielded %(result0)s, %(result1)s and %(result2)s."),
        }[len(results)]
        sentences.append(sentence("key:results", template, **values))
    elif not submitted:
        sentences.append(
            sentence(
                "key:results",
                _("%(none)s have been submitted yet."),
                none=Token("none", _("No project proposals"), [submitted_ref]),
            )
        )
    figures = [partners_ref, submitted_ref, funded_ref, *(ref for _amount, ref in money.values()), *pool_refs]
    return Drafted([sentences]), figures


# --- the annex and the synthesis -------------------------------------------------------------------------------


def day_text(day, short: bool = False) -> str:
    """ "30 April 2026" ("30 Apr 2026" short), as the annex always wrote it; a working copy's own long form."""
    if english():
        return f"{day:%-d %b %Y}" if short else f"{day:%-d %B %Y}"
    if locale_id().startswith("zh"):
        return format_date(day, "medium" if short else "long", locale=locale_id())
    return format_date(day, "d MMM y" if short else "d MMMM y", locale=locale_id())


def annex(rec: Records, span: Span, converter: Converter) -> list[AnnexTable]:
    end = day_text(span.ends_on) if span.ends_on else _("today")
    partners = AnnexTable(
        _("Partners"),
        [_("Organisation"), _("Acronym"), _("Type"), _("Stage"), _("Counted")],
        [
            [
                p.organisation.name,
                p.organisation.acronym,
                shown_type_heading(p.type_name),
                p.stage.label,
                _("partner developed")
                if p.is_developed
                else (_("potential partner") if p.stage == Stage.IDENTIFIED else p.role.label),
            ]
            for p in rec.partners
        ],
        empty=_("No partnership is recorded by the end of the period."),
        note=_(
            "Partners developed: engaged (contacted or further) and not closed; the convention body and the host "
            "institution are reported under area 1."
        ),
    )
    agreements = AnnexTable(
        _("Agreements"),
        [_("Agreement"), _("Kind"), _("Counterparts"), _("Status on %(date)s", date=end), _("Since"), _("Signed")],
        [
            [
                a.title,
                a.kind.label,
                ", ".join(c.short for c in a.counterparts),
                a.status.label,
                partial_text(a.status_since) if a.status_since else "",
                partial_text(a.signed) if a.signed else "",
            ]
            for a in rec.agreements
        ],
        empty=_("No agreement of this area is recorded."),
        note=_("Host agreements and memoranda of agreement establishing the centre are reported under area 1."),
    )
    listed = [p for p in rec.proposals if p.submitted_in_period or p.funded_in_period or p.status in OPEN_VALUES]
    proposals = AnnexTable(
        _("Project proposals"),
        [_("Proposal"), _("Funder"), _("Status on %(date)s", date=end), _("Submitted"), _("Requested"), _("Awarded")],
        [
            [
                p.title,
                p.funder.short,
                ProposalStatus(p.status).label,
                day_text(p.submitted_on) if p.submitted_on else (_("in this period") if p.submitted_in_period else ""),
                unbroken(amount_text(p.requested)) if p.requested else "",
                unbroken(amount_text(p.awarded)) if p.awarded else "",
            ]
            for p in listed
        ],
        empty=_("No proposal was submitted, funded or open in the period."),
    )
    resources = AnnexTable(
        _("Resources mobilized"),
        [_("Booked"), _("Source"), _("What"), _("Kind and stage"), _("Amount"), COMPARISON_CURRENCY, _("Rate")],
        [resource_line(r, converter) for r in rec.resources],
        empty=_("No resource is booked in the period."),
        note=_(
            "Each amount converted on its own at the rate of %(date)s, rounded to the cent; totals in the section "
            "are converted from their exact sums.",
            date=end,
        ),
    )
    return [partners, agreements, proposals, resources]


def resource_line(row: queries.ResourceRow, converter: Converter) -> list[str]:
    money = row.money
    converted, rate = annex_conversion(converter, money) if money else ("", "")
    what = row.purpose_detail or row.description
    if row.is_withdrawal:
        what = _("withdrawal: %(what)s", what=what)
    kind = _(KIND_WORDS[row.kind])
    stage = _(STAGE_WORDS[row.stage]) if row.stage in STAGE_WORDS else row.stage
    amount = unbroken(amount_text(money)) if money else quantity_text(row)
    if money and row.quantity is not None:
        amount += f" ({quantity_text(row)})"
    return [
        unbroken(day_text(row.booked_on, short=True)) if row.booked_on else "",
        row.source.short if row.source else "",
        what,
        _("%(kind)s, %(stage)s", kind=kind, stage=stage),
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
        _(
            "%(centre)s initiates partnership development and begins the process of identifying and developing "
            "sustainable, long-term resource mobilization."
        ),
        centre=w.centre_token(),
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
    if locale_id().startswith("zh"):
        for drafted in [outcome, *(row.text for row in rows.values()), *narrative, key_text]:
            drafted.separator = ""
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
