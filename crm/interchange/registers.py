"""The registers a spreadsheet may hold: for each, its columns, its keys and the service its rows are written by.

A row finds its record by the ``Ref`` column an export writes (``EXP-123``: the record's id), so an edited
export updates what changed and nothing else; without a ref, by the register's natural key (an organisation:
its folded name and country; an expert: name and e-mail; a proposal: title and funder...). A row is written
only through its domain's services, so every rule, the audit log and the ledger's rollups stay right; a
service's refusal comes back as an error on the cell of the field it names.

Registers of history (agreement steps, proposal status changes, tranches received) only grow: a row equal to
a stored one is left alone, a new one is added through the service that adds one, a stored one is never
changed by an import. A column marked ``fixed`` is set when a record is created and refused if different on
an update, with the reason (an amount of the ledger is corrected on the entry's page, not by overwriting).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, lazyload, selectinload

from crm.agreements import queries as agreement_queries
from crm.agreements import services as agreement_services
from crm.agreements.models import Agreement, AgreementKind, AgreementStatus, AgreementStep
from crm.centres.models import Centre
from crm.centres.services import visible_periods
from crm.core.errors import RuleError
from crm.core.periods import SpanError, span_or_error
from crm.core.scoping import readable_centre_ids, scoped
from crm.experts import queries as expert_queries
from crm.experts import services as expert_services
from crm.experts.models import Availability, EngagementBasis, Expert, ExpertPool, Vetting
from crm.extensions import db
from crm.funding import queries as funding_queries
from crm.funding import services as funding_services
from crm.funding.models import Category, Kind, LedgerEntry, Purpose, Tranche, ledger_entry_proposals
from crm.funding.models import Stage as LedgerStage
from crm.interchange import lookups
from crm.interchange.cells import (
    Choice,
    Country,
    Currency,
    Day,
    Email,
    Flag,
    Integer,
    Language,
    Many,
    Number,
    PartialDay,
    Reader,
    Reference,
    References,
    Target,
    Text,
)
from crm.interchange.reading import header_key
from crm.interchange.writing import Amount
from crm.money import queries as money_queries
from crm.money import services as money_services
from crm.money.conversion import Scope as RateScope
from crm.money.currencies import normalise_currency
from crm.money.models import ExchangeRate, RateSource
from crm.partners import queries as partner_queries
from crm.partners import services as partner_services
from crm.partners.models import DEFAULT_TYPES, Contact, Organisation, Partnership, Stage
from crm.partners.services import fold
from crm.proposals import queries as proposal_queries
from crm.proposals import services as proposal_services
from crm.proposals.models import PartnerRole, Proposal, ProposalStatus, ProposalStatusChange


@dataclass(frozen=True)
class Column:
    """One column: its header, how its cells read, what it holds (for the template's notes) and an example.

    ``key`` is the name the owning service takes the value by; ``get`` reads it from a stored record (by default
    the attribute of that name) and ``show`` writes it into an export (by default the reader's form of ``get``).
    """

    key: str
    header: str
    reader: Reader
    holds: str
    example: object = None
    required: bool = False
    get: Callable | None = None
    show: Callable | None = None
    private: bool = False  # personal data: exported only to readers who may see it
    fixed: str = ""  # set on creation only; why a different value on an update is refused
    currency: str = ""  # an amount's currency column: the export shows the amount in its minor units
    kept_when_empty: bool = False  # an empty cell leaves a stored record's value as it is (its default otherwise)
    lookup: "Lookup | None" = None  # how the export finds what it writes, for every record at once
    # An amount converted when an export is asked to: the attribute holding the date whose rate converts it, as the
    # pages convert it ("" for none: the rate of the list's last day, or today, as the pages convert proposals),
    # and the scope of the manual rates it may use (a ledger entry's own and its agreement's).
    rate_on: str = ""
    rate_scope: Callable | None = None

    def current(self, record):
        return self.get(record) if self.get else getattr(record, self.key)

    def exported(self, record):
        return self.exporter()(record)

    def exporter(self, looked_up: dict | None = None) -> Callable:
        """record → the cell an export writes, with what can be decided once per column decided now (an export
        calls it for every cell). A column with a ``lookup`` reads ``looked_up``, the table its lookup read."""
        if self.lookup is not None and looked_up is not None:
            key = self.lookup.key
            return lambda record: looked_up.get(key(record))
        if self.show:
            return self.show
        get = self.get or attrgetter(self.key)
        if self.currency:
            cell, currency = self.reader.cell, attrgetter(self.currency)

            def amount(record):
                value = cell(get(record))
                code = currency(record) if value is not None else None
                return Amount(value, code) if code else value

            return amount
        if type(self.reader).cell is Reader.cell:
            return get
        cell = self.reader.cell
        return lambda record: cell(get(record))


@dataclass(frozen=True)
class Lookup:
    """What an export writes for a related record (its name, for an id), read for every record in one statement
    when the export starts, instead of loading each record's related records: ``read(reader)`` gives the table,
    ``key(record)`` the record's entry in it."""

    key: Callable
    read: Callable


@dataclass
class Context:
    """Who imports into which centre, how the file writes numbers, and the lookups of the sheet being read."""

    centre: Centre | None
    user: object | None
    locale: str = "en"
    batch: object | None = None
    indexes: dict = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "id", None)

    def index(self, kind: str) -> lookups.Index:
        if kind not in self.indexes:
            self.indexes[kind] = lookups.BUILDERS[kind](self)
        return self.indexes[kind]


# The registers' titles as pages and messages show them, in the reader's language. ``Register.title`` stays
# English: it names the sheets of templates and exports, and a sheet's name tells an import which register it is.
SHOWN_TITLES = {
    "organisations": _l("Organisations"),
    "partnerships": _l("Partnerships"),
    "contacts": _l("Contacts"),
    "agreements": _l("Agreements"),
    "agreement_steps": _l("Agreement steps"),
    "pools": _l("Pools"),
    "experts": _l("Experts"),
    "proposals": _l("Proposals"),
    "proposal_status": _l("Proposal status history"),
    "ledger": _l("Resources"),
    "tranches": _l("Tranches received"),
    "rates": _l("Exchange rates"),
}


@dataclass(frozen=True)
class Register:
    name: str
    title: str
    about: str
    prefix: str  # of the refs its export writes: EXP-123
    columns: tuple[Column, ...]
    key: Callable  # the natural key of a row's values (a tuple), or None when it has none
    stored: Callable  # (context, natural keys in the file) → SELECT of the records rows are matched against
    save: Callable  # (context, record or None, values, changed keys) → the record, through the domain's service
    listing: Callable  # (list page arguments, reader) → SELECT of what the list page shows, in its order
    label: Callable  # values → a few words for the preview
    scope: str = "centre"  # "centre" | "directory" (the shared organisations) | "rates" (administrators)
    history: bool = False
    batch: Callable | None = None  # context → a batch writer with ``finish()`` for the whole sheet
    duplicates: Callable | None = None  # values of a new row → likely duplicates to confirm
    fields: dict = field(default_factory=dict)  # a service's field names that are not column keys → column keys

    @property
    def shown_title(self) -> str:
        """ "Experts", "Эксперты", "专家": the title in the reader's language (``title`` is the sheet name)."""
        return str(SHOWN_TITLES.get(self.name, self.title))

    @property
    def ref_column(self) -> Column:
        prefix = self.prefix
        return Column(
            "ref",
            "Ref",
            Text(30, lines=False),
            f"The record's reference ({prefix}-123), as an export writes it: the row updates that record. "
            "Empty for a new record.",
            show=lambda record: f"{prefix}-{record.id}",
        )

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return (self.ref_column, *self.columns)

    def by_header(self) -> dict[str, Column]:
        """Headers as a file may write them: the header, or the key, in any case."""
        found = {}
        for column in self.all_columns:
            found[header_key(column.header)] = column
            found[header_key(column.key)] = column
        return found

    def column_for_field(self, name: str | None) -> str | None:
        name = self.fields.get(name, name)
        return name if any(column.key == name for column in self.all_columns) else None


# --- shared pieces ------------------------------------------------------------------------------------------


def list_span(args, reader):
    """The period a list page's arguments name among the reader's centres' periods; none when its dates are refused
    (the page says why; the export then holds every date, as the page does)."""
    span, _ = span_or_error(args, visible_periods(readable_centre_ids(reader)))
    return span


def organisation_names(reader) -> dict[int, str]:
    """The directory's names by id: what an export writes for an organisation (the directory is network-wide)."""
    return {record_id: name for record_id, name in db.session.execute(sa.select(Organisation.id, Organisation.name))}


def organisation(key: str, header: str, holds: str, example=None, required=False, attribute=None, fixed=""):
    """A column naming an organisation of the directory, shown by its name."""
    relation = attribute or key.removesuffix("_id")
    return Column(
        key,
        header,
        Reference("organisation", "Organisation", ORGANISATION_HOW),
        holds,
        example,
        required,
        show=lambda record: getattr(getattr(record, relation), "name", None),
        fixed=fixed,
        lookup=Lookup(attrgetter(key), organisation_names),
    )


ORGANISATION_HOW = (
    "An organisation of the directory: its name in any script, its acronym, or its ref (ORG-12). "
    "New organisations go in the organisations sheet, before."
)


def folded(text) -> str:
    return fold(text or "")


def owner(key: str = "owner_id") -> Column:
    return Column(
        key,
        "Owner",
        Reference("member", "User", "The e-mail of one of the centre's accounts."),
        "Who at the centre looks after it.",
        show=lambda record: record.owner.email if record.owner else None,
    )


def targets(key: str = "targets") -> Column:
    return Column(
        key, "KMGBF targets", Many(Target(), commas=True), "Targets of the Kunming-Montreal framework.", "3; 20"
    )


def of_centre(model):
    return lambda context, keys: sa.select(model).where(model.centre_id == context.centre.id)


def text(value) -> str:
    return (value or "").strip()


# --- organisations (the directory every centre shares) --------------------------------------------------------


def _save_organisation(context, record, values, changed):
    return partner_services.save_organisation(record, values)


def _organisation_duplicates(values) -> list:
    return partner_services.likely_duplicates(
        values["name"], values.get("other_names") or [], values.get("acronym") or ""
    )


ORGANISATIONS = Register(
    name="organisations",
    title="Organisations",
    about="The network-wide directory of organisations; centres relate to them through partnerships.",
    prefix="ORG",
    columns=(
        Column(
            "name",
            "Name",
            Text(300, lines=False),
            "The name in English, as the organisation writes it.",
            "Institute of Zoology, Chinese Academy of Sciences",
            required=True,
        ),
        Column(
            "other_names",
            "Names in other scripts",
            Many(Text(300, lines=False)),
            "Names in Chinese, Cyrillic... as written.",
            "中国科学院动物研究所",
        ),
        Column("acronym", "Acronym", Text(40, lines=False), "The acronym, if it has one.", "IOZ"),
        Column(
            "type_id",
            "Type",
            Reference(
                "organisation_type",
                "Type",
                "The code or the name of a type: "
                + "; ".join(f"{code} ({name})" for code, name, _ in DEFAULT_TYPES)
                + "; or a type an administrator added.",
            ),
            "The kind of organisation.",
            "research",
            required=True,
            show=lambda record: record.type.code,
        ),
        Column("country", "Country", Country(), "Where it is based; empty for international bodies.", "CN"),
        Column("website", "Website", Text(500, lines=False), "Its web address, with https://.", "http://www.ioz.ac.cn"),
        Column("notes", "Notes", Text(5000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (folded(values.get("name")), values.get("country") or ""),
    stored=lambda context, keys: sa.select(Organisation),
    save=_save_organisation,
    listing=lambda args, reader: partner_queries.organisations(
        partner_queries.Filters.from_args(args, list_span(args, reader))
    ),
    label=lambda values: values.get("name") or "",
    scope="directory",
    duplicates=_organisation_duplicates,
)


# --- partnerships and contacts -------------------------------------------------------------------------------


def _save_partnership(context, record, values, changed):
    return partner_services.save_partnership(record, values, centre_id=context.centre.id)


PARTNERSHIPS = Register(
    name="partnerships",
    title="Partnerships",
    about="The centre's partnerships with organisations of the directory: one per organisation.",
    prefix="PAR",
    columns=(
        organisation(
            "organisation_id",
            "Organisation",
            "The partner organisation.",
            "IOZ",
            required=True,
            fixed=_l("A partnership stays with its organisation: start another partnership for another organisation."),
        ),
        Column("stage", "Stage", Choice(Stage, "stage"), "How far the engagement has come.", "in_discussion", True),
        Column("areas", "Areas of cooperation", Text(5000), "What you work on together.", "Wetland restoration"),
        targets(),
        owner(),
        Column("next_step", "Next step", Text(500, lines=False), "What happens next.", "Send the draft MoU"),
        Column("next_step_on", "Next step due", Day(), "When the next step is due.", "2026-06-30"),
        Column("notes", "Notes", Text(10000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (values.get("organisation_id"),),
    stored=of_centre(Partnership),
    save=_save_partnership,
    listing=lambda args, reader: partner_queries.partnerships(
        partner_queries.Filters.from_args(args, list_span(args, reader)), reader
    ),
    label=lambda values: str(values.get("organisation_id") or ""),
)


def _save_contact(context, record, values, changed):
    partnership = db.session.get(Partnership, values["partnership_id"])
    return partner_services.save_contact(partnership, record, values)


CONTACTS = Register(
    name="contacts",
    title="Contacts",
    about="People at partner organisations, each under the centre's partnership with their organisation.",
    prefix="CON",
    columns=(
        Column(
            "partnership_id",
            "Organisation",
            Reference("partnership", "Partner", "A partner of the centre: the organisation's name, acronym or PAR-12."),
            "The partner organisation the person works at.",
            "IOZ",
            required=True,
            show=lambda record: record.partnership.organisation.name,
            fixed=_l("A contact stays with the partnership it was added to."),
        ),
        Column("name", "Name", Text(200, lines=False), "The person's name.", "Li Wei", True),
        Column("title", "Title or position", Text(200, lines=False), "Their position.", "Deputy director"),
        Column("email", "E-mail", Email(), "Their e-mail address.", "li.wei@ioz.ac.cn"),
        Column("phone", "Phone", Text(60, lines=False), "Their phone number.", "+86 10 6480 7000"),
        Column("languages", "Languages", Text(200, lines=False), "The languages they work in.", "Chinese, English"),
        Column("notes", "Notes", Text(5000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (values.get("partnership_id"), folded(values.get("name"))),
    stored=of_centre(Contact),
    save=_save_contact,
    listing=lambda args, reader: partner_queries.contacts(
        partner_queries.Filters.from_args(args, list_span(args, reader)), reader
    ),
    label=lambda values: values.get("name") or "",
)


# --- agreements and their steps --------------------------------------------------------------------------------


def _save_agreement(context, record, values, changed):
    if record is None:
        return agreement_services.create_agreement(context.centre.id, values, context.user_id)
    moved, redated = "status" in changed, "status_since" in changed
    if redated and not moved:
        raise agreement_services.AgreementError(
            "“Status since” is the date of the current status, kept in the agreement's history, which is not "
            "edited: a new status goes with its own date.",
            "status_since",
        )
    if moved and not redated:
        raise agreement_services.AgreementError("Give the date of the new status in “Status since”.", "status_since")
    agreement_services.update_agreement(record, values)
    if moved:
        agreement_services.add_step(record, values["status"], values["status_since"], "", context.user_id)
    return record


PARTIAL_DATE_HOW = "A day, a month or a year"

AGREEMENTS = Register(
    name="agreements",
    title="Agreements",
    about="Host agreements, MoAs, cooperation agreements, MoUs. A new status (with its date) adds a step to the "
    "agreement's history.",
    prefix="AGR",
    columns=(
        Column(
            "title", "Title", Text(300, lines=False), "The agreement's title.", "Memorandum of agreement with IOZ", True
        ),
        Column(
            "kind",
            "Kind",
            Choice(AgreementKind, "kind of agreement"),
            "What kind of agreement.",
            "memorandum_of_agreement",
            True,
        ),
        Column(
            "counterpart_ids",
            "Counterparts",
            References("organisation", "Organisation", ORGANISATION_HOW),
            "The organisations that are party to it.",
            "IOZ",
            get=lambda record: [o.id for o in record.counterparts],
            show=lambda record: "; ".join(o.name for o in record.counterparts) or None,
        ),
        Column("responsible", "Responsible person", Text(200, lines=False), "Who carries it.", "Zhang Min"),
        Column("status", "Status", Choice(AgreementStatus, "status"), "Where it stands now.", "legal_review", True),
        Column(
            "status_since",
            "Status since",
            PartialDay(),
            f"{PARTIAL_DATE_HOW}: since when it has this status.",
            "2025-12",
        ),
        Column("signed", "Signed", PartialDay(), f"{PARTIAL_DATE_HOW}: when it was signed.", ""),
        Column("signed_place", "Signed in", Text(200, lines=False), "Where it was signed.", ""),
        Column("effective", "Effective from", PartialDay(), f"{PARTIAL_DATE_HOW}: when it takes effect.", ""),
        Column("expiry", "Expires", PartialDay(), f"{PARTIAL_DATE_HOW}: when it expires.", ""),
        Column("next_review", "Next review", PartialDay(), f"{PARTIAL_DATE_HOW}: when it is next reviewed.", ""),
        Column("notes", "Notes", Text(10000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (folded(values.get("title")),),
    stored=of_centre(Agreement),
    save=_save_agreement,
    listing=lambda args, reader: agreement_queries.agreements(
        partner_queries.Filters.from_args(args, list_span(args, reader)), reader
    ),
    label=lambda values: values.get("title") or "",
)


def _save_step(context, record, values, changed):
    agreement = db.session.get(Agreement, values["agreement_id"])
    return agreement_services.add_step(
        agreement, values["status"], values["occurred"], values.get("note") or "", context.user_id
    )


def _steps(args, reader):
    stmt = sa.select(AgreementStep).join(Agreement, Agreement.id == AgreementStep.agreement_id)
    return scoped(stmt, AgreementStep.centre_id, reader).order_by(Agreement.title, AgreementStep.id)


AGREEMENT_STEPS = Register(
    name="agreement_steps",
    title="Agreement steps",
    about="The dated history of each agreement's status. A new row adds a step (and becomes the agreement's "
    "status); a stored step is never changed.",
    prefix="STP",
    columns=(
        Column(
            "agreement_id",
            "Agreement",
            Reference("agreement", "Agreement", "An agreement of the centre: its title or its ref (AGR-12)."),
            "The agreement the step belongs to.",
            "Memorandum of agreement with IOZ",
            required=True,
            show=lambda record: record.agreement.title,
        ),
        Column(
            "status", "Status", Choice(AgreementStatus, "status"), "The status it reached.", "authority_approval", True
        ),
        Column("occurred", "Date", PartialDay(), f"{PARTIAL_DATE_HOW}: when it happened.", "2026-03", True),
        Column("note", "Note", Text(5000), "What happened.", "Approved by the ministry"),
    ),
    key=lambda values: (values.get("agreement_id"), values.get("status"), values.get("occurred")),
    stored=of_centre(AgreementStep),
    save=_save_step,
    listing=_steps,
    label=lambda values: f"{values.get('status')} on {values.get('occurred')}",
    history=True,
)


# --- experts and their pools --------------------------------------------------------------------------------


POOLS = Register(
    name="pools",
    title="Pools",
    about="Named lists of the centre's experts (an expert database, consultants...).",
    prefix="POOL",
    columns=(
        Column("name", "Name", Text(200, lines=False), "The pool's name.", "CAST expert database", True),
        Column("description", "Description", Text(2000), "What the pool is for.", ""),
    ),
    key=lambda values: (folded(values.get("name")),),
    stored=of_centre(ExpertPool),
    save=lambda context, record, values, changed: expert_services.save_pool(
        record, context.centre.id, values["name"], values.get("description") or ""
    ),
    listing=lambda args, reader: scoped(
        sa.select(ExpertPool).order_by(ExpertPool.centre_id, ExpertPool.name), ExpertPool.centre_id, reader
    ),
    label=lambda values: values.get("name") or "",
)


def _save_expert(context, record, values, changed):
    return expert_services.save_expert(record, context.centre.id, values, roster=context.batch)


EXPERTS = Register(
    name="experts",
    title="Experts",
    about="The centre's roster of experts and consultants. Contact details are exported to the centre's own staff "
    "only.",
    prefix="EXP",
    columns=(
        Column("name", "Name", Text(200, lines=False), "As the person writes it in Latin script.", "Wang Fang", True),
        Column(
            "other_names",
            "Names in other scripts",
            Text(500, lines=False),
            "In Chinese, Cyrillic...; several separated by ;",
            "王芳",
        ),
        Column("nationality", "Nationality", Country(), "Decides domestic or foreign, against the host country.", "CN"),
        Column("residence_country", "Country of residence", Country(), "Where the person lives.", "CN"),
        organisation("affiliation_id", "Affiliation", "Where the person works.", "IOZ"),
        Column("position", "Position", Text(200, lines=False), "Their position.", "Professor"),
        Column("email", "E-mail", Email(), "Their e-mail address.", "wang.fang@ioz.ac.cn", private=True),
        Column("phone", "Phone", Text(60, lines=False), "Their phone number.", "+86 10 6480 7001", private=True),
        Column("contact_notes", "Other contact details", Text(2000), "WeChat, address...", "", private=True),
        Column(
            "languages",
            "Languages",
            Many(Language(), commas=True),
            "The languages they work in.",
            "zh; en",
            show=lambda record: "; ".join(record.languages) or None,
        ),
        targets(),
        Column(
            "themes", "Themes", Many(Text(100, lines=False), commas=True), "Their fields of work.", "wetlands; birds"
        ),
        Column(
            "engagement_basis",
            "Engagement basis",
            Choice(EngagementBasis, "engagement basis"),
            "On what terms they work with the centre.",
            "volunteer",
            True,
        ),
        Column(
            "day_rate",
            "Day rate",
            Number("The day rate"),
            "Paid consultants only: their rate a day.",
            None,
            currency="day_rate_currency",
        ),
        Column("day_rate_currency", "Day rate currency", Currency(), "The currency of the day rate.", None),
        organisation("provider_id", "Provided by", "The partner that provides them (basis: partner).", None),
        Column(
            "availability",
            "Availability",
            Choice(Availability, "availability"),
            "Whether they can take work now.",
            "available",
            True,
        ),
        Column("availability_until", "Available until", Day(), "The day the availability ends, if known.", None),
        Column("vetting", "Vetting", Choice(Vetting, "vetting status"), "Proposed if empty.", "vetted"),
        Column(
            "pools",
            "Pools",
            References(
                "pool", "Pool", "Pools of the centre, by name or ref (POOL-3); new pools go in the pools sheet."
            ),
            "The pools they belong to.",
            "CAST expert database",
            get=lambda record: [pool.id for pool in record.pools],
            show=lambda record: "; ".join(pool.name for pool in record.pools) or None,
        ),
        Column("notes", "Notes", Text(5000), "Anything else worth knowing.", "", private=True),
        Column(
            "listed",
            "On the roster since",
            PartialDay(),
            "When the expert joined the roster (a day, a month or a year); today if empty.",
            "2025-06",
            kept_when_empty=True,
        ),
    ),
    key=lambda values: (folded(values.get("name")), (values.get("email") or "").casefold()),
    stored=lambda context, keys: of_centre(Expert)(context, keys).options(selectinload(Expert.pools)),
    save=_save_expert,
    listing=lambda args, reader: expert_queries.results(
        expert_queries.Search.from_args(args, list_span(args, reader)), reader
    ),
    label=lambda values: values.get("name") or "",
    batch=lambda context: expert_services.RosterBatch(context.centre.id),
)


# --- proposals and their status history --------------------------------------------------------------------------


def _latest_change_on(record):
    return record.status_changes[-1].changed_on if record.status_changes else None


def _role_ids(role):
    return lambda record: [p.organisation_id for p in record.partners if p.role == role]


def _role_names(role):
    return lambda record: "; ".join(p.organisation.name for p in record.partners if p.role == role) or None


def _proposals(args, reader):
    """The proposals list as its page filters and sorts it (centre, status, words, period, event; ``sort``)."""
    span = list_span(args, reader)
    stmt = sa.select(Proposal).options(
        lazyload(Proposal.owner),
        joinedload(Proposal.funder).lazyload(Organisation.type),
        selectinload(Proposal.partners),
        selectinload(Proposal.status_changes),
    )
    centre_ids = proposal_queries.centres_in_view(args.get("centre"), readable_centre_ids(reader))
    stmt = proposal_queries.listed(stmt, centre_ids, args.get("status"), args.get("q"), span, args.get("event"))
    return proposal_queries.sorted_list(stmt, args.get("sort"))


def _save_proposal(context, record, values, changed):
    if record is None:
        return proposal_services.create_proposal(context.centre.id, values, context.user)
    moved, redated = "status" in changed, "status_on" in changed
    if redated and not moved:
        raise proposal_services.ProposalError(
            "“Status since” is the date of the current status, kept in the proposal's history, which is not edited: "
            "a new status goes with its own date.",
            "status_on",
        )
    if moved:
        award = {key: values.get(key) if "awarded_amount" in changed else None for key in AWARD}
        step = {"status": values["status"], "changed_on": values.get("status_on") if redated else None}
        proposal_services.change_status(record, step | award, context.user)
        # What the status change set, unless the row says otherwise: its dates and the new status's probability.
        for key in ("submitted_on", "decision_on"):
            if key not in changed:
                values[key] = getattr(record, key)
        if "probability" not in changed:
            values["probability"] = None
    return proposal_services.update_proposal(record, values)


AWARD = ("awarded_amount", "awarded_currency")

PROPOSALS = Register(
    name="proposals",
    title="Proposals",
    about="Project proposals. A new status (with its date) moves the proposal along its pipeline and adds to its "
    "history.",
    prefix="PRO",
    columns=(
        Column("title", "Title", Text(500, lines=False), "The proposal's title.", "Wetland restoration in Nepal", True),
        organisation("funder_id", "Funder", "Who would fund it.", "UNDP", required=True),
        Column(
            "mechanism_id",
            "Programme or call",
            Reference("mechanism", "Programme", "The name of one of the funder's programmes or calls (Funders page)."),
            "The funder's programme or call.",
            None,
            show=lambda record: record.mechanism.name if record.mechanism else None,
        ),
        Column("status", "Status", Choice(ProposalStatus, "status"), "Where it stands.", "in_preparation", True),
        Column(
            "status_on",
            "Status since",
            Day(),
            "Since when it has this status; needed when the status changes.",
            "2026-02-01",
            get=_latest_change_on,
        ),
        Column(
            "requested_amount",
            "Requested amount",
            Number("The requested amount"),
            "What is asked for.",
            250000,
            currency="requested_currency",
        ),
        Column("requested_currency", "Requested currency", Currency(), "The currency of the request.", "USD"),
        Column("deadline_on", "Deadline", Day(), "When it is due.", "2026-04-15"),
        Column("submitted_on", "Submitted on", Day(), "When it was submitted.", None),
        Column("decision_on", "Decision on", Day(), "When the funder decided.", None),
        Column(
            "awarded_amount",
            "Awarded amount",
            Number("The awarded amount"),
            "An approved proposal's award.",
            None,
            currency="awarded_currency",
        ),
        Column("awarded_currency", "Awarded currency", Currency(), "The currency of the award.", None),
        Column(
            "probability",
            "Probability (%)",
            Integer(0, 100),
            "The chance of funding; empty for the status's default.",
            None,
        ),
        Column(
            "co_applicant_ids",
            "Co-applicants",
            References("organisation", "Organisation", ORGANISATION_HOW),
            "Organisations applying with the centre.",
            "IOZ",
            get=_role_ids(PartnerRole.CO_APPLICANT),
            show=_role_names(PartnerRole.CO_APPLICANT),
        ),
        Column(
            "partner_ids",
            "Partners",
            References("organisation", "Organisation", ORGANISATION_HOW),
            "Organisations taking part.",
            None,
            get=_role_ids(PartnerRole.PARTNER),
            show=_role_names(PartnerRole.PARTNER),
        ),
        targets("kmgbf_targets"),
        owner(),
        Column("summary", "Summary", Text(5000), "What it is about.", ""),
        Column("notes", "Notes", Text(5000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (folded(values.get("title")), values.get("funder_id")),
    stored=lambda context, keys: of_centre(Proposal)(context, keys).options(
        selectinload(Proposal.partners), selectinload(Proposal.status_changes)
    ),
    save=_save_proposal,
    listing=_proposals,
    label=lambda values: values.get("title") or "",
    fields={"changed_on": "status_on"},
)


def _save_status_change(context, record, values, changed):
    proposal = db.session.get(Proposal, values["proposal_id"])
    return proposal_services.change_status(proposal, values, context.user)


def _status_changes(args, reader):
    stmt = sa.select(ProposalStatusChange).join(Proposal, Proposal.id == ProposalStatusChange.proposal_id)
    return scoped(stmt, Proposal.centre_id, reader).order_by(Proposal.title, ProposalStatusChange.id)


PROPOSAL_STATUS = Register(
    name="proposal_status",
    title="Proposal status history",
    about="The dated steps of each proposal's pipeline. A new row moves the proposal to that status (forward, or "
    "out by rejection or withdrawal); a stored step is never changed.",
    prefix="PST",
    columns=(
        Column(
            "proposal_id",
            "Proposal",
            Reference("proposal", "Proposal", "A proposal of the centre: its title or its ref (PRO-12)."),
            "The proposal.",
            "Wetland restoration in Nepal",
            required=True,
            show=lambda record: record.proposal.title,
        ),
        Column("status", "Status", Choice(ProposalStatus, "status"), "The status it moved to.", "submitted", True),
        Column("changed_on", "Date", Day(), "When it happened.", "2026-04-10", True),
        Column("note", "Note", Text(2000), "What happened.", ""),
        Column(
            "awarded_amount",
            "Awarded amount",
            Number("The awarded amount"),
            "When approved, the amount the decision names.",
            None,
            get=lambda record: None,
        ),
        Column("awarded_currency", "Awarded currency", Currency(), "Its currency.", None, get=lambda record: None),
    ),
    key=lambda values: (values.get("proposal_id"), values.get("status"), values.get("changed_on")),
    stored=lambda context, keys: (
        sa.select(ProposalStatusChange)
        .join(Proposal, Proposal.id == ProposalStatusChange.proposal_id)
        .where(Proposal.centre_id == context.centre.id)
    ),
    save=_save_status_change,
    listing=_status_changes,
    label=lambda values: f"{values.get('status')} on {values.get('changed_on')}",
    history=True,
)


# --- the ledger and the tranches received ------------------------------------------------------------------


# Why a stored entry's column is not overwritten by an import: one whole sentence per column.
CORRECTED = {
    "kind": _l(
        "An entry's kind is not overwritten by an import: on the entry's page, void it (a mistake) or withdraw it "
        "(a real event), and record a new entry if needed."
    ),
    "amount": _l(
        "An entry's amount is not overwritten by an import: on the entry's page, void it (a mistake) or withdraw it "
        "(a real event), and record a new entry if needed."
    ),
    "currency": _l(
        "An entry's currency is not overwritten by an import: on the entry's page, void it (a mistake) or withdraw "
        "it (a real event), and record a new entry if needed."
    ),
    "quantity": _l(
        "An entry's quantity is not overwritten by an import: on the entry's page, void it (a mistake) or withdraw "
        "it (a real event), and record a new entry if needed."
    ),
}


def _ledger_filters(args, reader) -> funding_queries.LedgerFilters:
    """The resources list's filters, as its page reads them; dates it would refuse are left out, as it does."""
    centre_ids = readable_centre_ids(reader)
    periods = visible_periods(centre_ids)
    try:
        return funding_queries.LedgerFilters.from_args(args, centre_ids, periods)
    except SpanError:
        kept = {key: value for key, value in args.items() if key not in ("from", "to", "period")}
        return funding_queries.LedgerFilters.from_args(kept, centre_ids, periods)


def _agreement_titles(reader) -> dict[int, str]:
    titles = scoped(sa.select(Agreement.id, Agreement.title), Agreement.centre_id, reader)
    return {record_id: title for record_id, title in db.session.execute(titles)}


def _entry_proposal_titles(reader) -> dict[int, str]:
    """Each entry's proposals' titles, as the entry's Proposals column writes them (in the order of their ids)."""
    links = scoped(
        sa.select(ledger_entry_proposals.c.entry_id, Proposal.title)
        .join(Proposal, Proposal.id == ledger_entry_proposals.c.proposal_id)
        .order_by(ledger_entry_proposals.c.entry_id, Proposal.id),
        Proposal.centre_id,
        reader,
    )
    titles: dict[int, list[str]] = {}
    for entry_id, title in db.session.execute(links):
        titles.setdefault(entry_id, []).append(title)
    return {entry_id: "; ".join(names) for entry_id, names in titles.items()}


def _save_entry(context, record, values, changed):
    proposals, agreement = funding_services.links(values.get("proposal_ids"), values.get("agreement_id"))
    if record is None:
        return funding_services.record_entry(context.centre.id, values, proposals, agreement)
    return funding_services.update_entry(record, values, proposals, agreement)


LEDGER = Register(
    name="ledger",
    title="Resources",
    about="The resource ledger: money, goods and services, and people's time the centre mobilises.",
    prefix="RES",
    columns=(
        Column("category", "Category", Choice(Category, "category"), "Where it comes from.", "host_institution", True),
        Column(
            "kind",
            "Kind",
            Choice(Kind, "kind of resource"),
            "Money, in kind, or people's time.",
            "financial",
            True,
            fixed=CORRECTED["kind"],
        ),
        Column("purpose", "Purpose", Choice(Purpose, "purpose"), "What it is for.", "core_operations", True),
        Column("purpose_detail", "Purpose in words", Text(500, lines=False), "What exactly.", "Daily operation"),
        Column("stage", "Stage", Choice(LedgerStage, "stage"), "Pledged, committed or received.", "committed", True),
        organisation("source_id", "Source", "Who gives it.", "NIES"),
        Column(
            "amount",
            "Amount",
            Number("The amount", allow_negative=True),
            "The sum of money, or the valuation of goods and time.",
            500000,
            fixed=CORRECTED["amount"],
            currency="currency",
            rate_on="rate_on",
            rate_scope=lambda record: RateScope(record.id, record.agreement_id),
        ),
        Column("currency", "Currency", Currency(), "The amount's currency.", "CNY", fixed=CORRECTED["currency"]),
        Column("booked_on", "Pledged or committed on", Day(), "The date it was pledged or committed.", "2025-05-20"),
        Column("description", "Description", Text(10000), "What is given (required for goods, services and time).", ""),
        Column(
            "quantity",
            "Quantity",
            Number("The quantity", allow_negative=True),
            "How many (goods, services, time).",
            None,
            fixed=CORRECTED["quantity"],
        ),
        Column("unit", "Unit", Text(100, lines=False), "The unit of the quantity: interns, workstations...", ""),
        Column("valuation_method", "Valuation method", Text(300, lines=False), "How the valuation was made.", ""),
        Column("valuation_evidence", "Valuation evidence", Text(10000), "What supports the valuation.", ""),
        Column(
            "agreement_id",
            "Agreement",
            Reference("agreement", "Agreement", "An agreement of the centre: its title or its ref (AGR-12)."),
            "The agreement it came from.",
            None,
            show=lambda record: record.agreement.title if record.agreement else None,
            lookup=Lookup(attrgetter("agreement_id"), _agreement_titles),
        ),
        Column(
            "proposal_ids",
            "Proposals",
            References("proposal", "Proposal", "Proposals of the centre: their titles or refs (PRO-12)."),
            "The proposals it came from.",
            None,
            get=lambda record: [p.id for p in record.proposals],
            show=lambda record: "; ".join(p.title for p in record.proposals) or None,
            lookup=Lookup(attrgetter("id"), _entry_proposal_titles),
        ),
        Column("notes", "Notes", Text(10000), "Anything else worth knowing.", ""),
    ),
    key=lambda values: (
        values.get("kind"),
        values.get("source_id"),
        values.get("booked_on"),
        values.get("amount"),
        values.get("currency"),
        values.get("quantity"),
        text(values.get("unit")).casefold(),
        folded(values.get("purpose_detail")),
    ),
    stored=lambda context, keys: funding_queries.live(of_centre(LedgerEntry)(context, keys)).options(
        selectinload(LedgerEntry.proposals)
    ),
    save=_save_entry,
    # Its source, agreement and proposals are written from lookups: none loaded with the entries.
    listing=lambda args, reader: funding_queries.entries(_ledger_filters(args, reader)).options(
        lazyload(LedgerEntry.source), lazyload(LedgerEntry.centre)
    ),
    label=lambda values: values.get("purpose_detail") or values.get("description") or str(values.get("purpose")),
)


def _save_tranche(context, record, values, changed):
    entry = db.session.get(LedgerEntry, values["entry_id"])
    return funding_services.record_tranche(entry, values | {"confirm_over": values.get("is_over_outstanding")})


TRANCHES = Register(
    name="tranches",
    title="Tranches received",
    about="Money received against the ledger's financial entries. A new row records a tranche; a stored one is never "
    "changed.",
    prefix="TRA",
    columns=(
        Column(
            "entry_id",
            "Entry",
            Reference("entry", "Entry", "The ledger entry's ref (RES-12), as the resources export writes it."),
            "The entry the money was received against.",
            "RES-1",
            required=True,
            show=lambda record: f"RES-{record.entry_id}",
        ),
        Column("received_on", "Received on", Day(), "When it was received.", "2025-07-01", True),
        Column(
            "amount",
            "Amount",
            Number("The amount received", allow_negative=True),
            "How much.",
            250000,
            True,
            currency="currency",
            rate_on="received_on",
        ),
        Column("currency", "Currency", Currency(), "In which currency.", "CNY", True),
        Column("note", "Note", Text(10000), "Anything worth knowing.", ""),
        Column(
            "is_over_outstanding",
            "Over the outstanding balance",
            Flag(),
            "yes to record a tranche larger than what is outstanding (it is flagged).",
            "no",
        ),
    ),
    key=lambda values: (
        values.get("entry_id"),
        values.get("received_on"),
        values.get("amount"),
        values.get("currency"),
    ),
    stored=lambda context, keys: of_centre(Tranche)(context, keys).where(Tranche.voided_at.is_(None)),
    save=_save_tranche,
    # The money received list, as its page filters and orders it.
    listing=lambda args, reader: funding_queries.receipts(_ledger_filters(args, reader)),
    label=lambda values: f"{values.get('currency')} {values.get('amount')} on {values.get('received_on')}",
    history=True,
)


# --- exchange rates (administrators) -----------------------------------------------------------------------


def _save_rate(context, record, values, changed):
    if record is not None:
        raise money_services.RateError(
            "A stored rate is not overwritten: delete a manual rate on its page first; ECB and UN rates are "
            "replaced by importing their own files.",
            "rate",
        )
    if (values.get("source") or RateSource.MANUAL) != RateSource.MANUAL:
        raise money_services.RateError(
            "Only manual rates are imported here; ECB and UN rates come from their own files.", "source"
        )
    if context.user is None:
        raise money_services.RateError(
            "Manual rates are entered by an administrator: import as one (--as EMAIL).", "reason"
        )
    return money_services.add_manual_rate(
        base=values["base"],
        quote=values["quote"],
        rate=values["rate"],
        effective_on=values["effective_on"],
        valid_until=values.get("valid_until"),
        reason=values.get("reason") or "",
        user=context.user,
    )


def _stored_rates(context, keys):
    days = [key[3] for key in keys if key[3] is not None]
    if not days:
        return sa.select(ExchangeRate).where(sa.false())
    return sa.select(ExchangeRate).where(
        ExchangeRate.quote.in_({key[2] for key in keys}), ExchangeRate.effective_on.between(min(days), max(days))
    )


def _rates(args, reader):
    try:
        currency = normalise_currency(args.get("currency")) if args.get("currency") else None
    except ValueError:
        currency = None
    source = args.get("source") if args.get("source") in set(RateSource) else None
    return money_queries.rates_stmt(currency, source)


RATES = Register(
    name="rates",
    title="Exchange rates",
    about="Exchange rates: “1 base = rate quote from the effective date”. Rows are imported as manual rates, each "
    "with its reason; ECB and UN rates are exported for reference.",
    prefix="RATE",
    columns=(
        Column("effective_on", "Effective on", Day(), "The first day the rate applies.", "2026-01-01", True),
        Column(
            "valid_until",
            "Last day",
            Day(),
            "The last day the rate converts amounts of the whole network (a manual rate converts a dated "
            f"range, at most {money_services.MAX_NETWORK_RANGE_DAYS} days; a rate for one entry or agreement is "
            "entered on its page).",
            "2026-01-31",
        ),
        Column("base", "Base", Currency(), "1 unit of this currency...", "USD", True),
        Column("quote", "Quote", Currency(), "...is worth the rate in this one.", "KZT", True),
        Column("rate", "Rate", Number("The rate"), "Units of the quote currency per unit of the base.", 505.25, True),
        Column(
            "source",
            "Source",
            Choice(RateSource, "source of rates"),
            "manual for rates entered by hand (empty is manual).",
            "manual",
        ),
        Column(
            "reason",
            "Reason",
            Text(5000),
            "Why the rate is entered by hand; shown wherever it is used.",
            "Bank statement",
        ),
        Column("reference", "Reference", Text(300, lines=False), "Where the rate came from (exported).", ""),
    ),
    key=lambda values: (
        values.get("source") or "manual",
        values.get("base"),
        values.get("quote"),
        values.get("effective_on"),
    ),
    stored=_stored_rates,
    save=_save_rate,
    listing=_rates,
    label=lambda values: f"{values.get('base')}/{values.get('quote')} {values.get('effective_on')}",
    scope="rates",
)


# The order a workbook's sheets are written in: what a row names is written before it.
REGISTERS: dict[str, Register] = {
    register.name: register
    for register in (
        ORGANISATIONS,
        PARTNERSHIPS,
        CONTACTS,
        AGREEMENTS,
        AGREEMENT_STEPS,
        POOLS,
        EXPERTS,
        PROPOSALS,
        PROPOSAL_STATUS,
        LEDGER,
        TRANCHES,
        RATES,
    )
}


def register_named(name: str) -> Register | None:
    """The register called ``name``: its name or its title, in any case ("experts", "Experts")."""
    wanted = header_key(name).replace(" ", "_")
    for register in REGISTERS.values():
        if wanted in (register.name, header_key(register.title).replace(" ", "_")):
            return register
    return None


def known_headers() -> frozenset[str]:
    return frozenset(key for register in REGISTERS.values() for key in register.by_header())


def may_import(register: Register, user, centre) -> bool:
    """Who may import a register: the centre's staff; the directory, any centre's staff and administrators; rates,
    administrators. ``user`` None is the command line, run by whoever runs the server."""
    if user is None:
        return True
    if register.scope == "rates":
        return user.is_admin
    if register.scope == "directory":
        return partner_services.may_edit_directory(user)
    return centre is not None and user.can_write(centre.id)


def may_see(column: Column, record, reader) -> bool:
    """A private column's value is exported only to readers who may see the person's personal data."""
    return not column.private or expert_services.may_see_personal_data(reader, record)


class RowRefused(RuleError):
    """A row refused by the import itself (a fixed column changed, a history step edited)."""
