"""Reads the drafter makes over the registers: a fixed number of statements per section, whatever the records.

Each function returns plain rows for one centre and reporting period; the drafter turns them into words.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from crm.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    ReportArea,
    agreement_counterparts,
    area_expression,
)
from crm.agreements.queries import statuses_at
from crm.audit.models import AuditEntry
from crm.centres.models import Centre, ReportingPeriod
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span
from crm.extensions import db
from crm.funding.models import LedgerEntry, ledger_entry_proposals
from crm.funding.queries import live
from crm.money.value import Money
from crm.partners.models import Organisation, OrganisationType, Partnership, PartnershipRole, Stage
from crm.partners.queries import developed
from crm.proposals.models import Proposal, ProposalStatus
from crm.proposals.queries import funded_within, submitted_within
from crm.proposals.queries import statuses_at as proposal_statuses_at
from crm.reports.models import FILED_LANGUAGE, Challenge, ReportOutput, ReportSection


@dataclass(frozen=True)
class OrgRef:
    """An organisation as the drafter names it: full name and acronym (the first mention gives both)."""

    id: int
    name: str
    acronym: str

    @property
    def short(self) -> str:
        return self.acronym or self.name


def org(id_, name, acronym) -> OrgRef | None:
    return OrgRef(id_, name, acronym or "") if id_ is not None else None


@dataclass
class PartnerRow:
    partnership_id: int
    organisation: OrgRef
    type_code: str
    type_name: str
    heading: str
    stage: Stage
    role: PartnershipRole
    is_developed: bool


def partners(centre_id: int, span: Span) -> list[PartnerRow]:
    """The centre's partnerships engaged by the period's end (``crm.core.periods``), closed ones left out, ordered
    by type then name; ``is_developed`` is the partners list's rule (``crm.partners.queries.developed``)."""
    stmt = (
        sa.select(
            Partnership.id,
            Organisation.id,
            Organisation.name,
            Organisation.acronym,
            OrganisationType.code,
            OrganisationType.name,
            OrganisationType.plural_name,
            Partnership.stage,
            Partnership.role,
            developed(),
        )
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(
            Partnership.centre_id == centre_id, Partnership.stage != Stage.CLOSED, span.by_end(Partnership.engaged_on)
        )
        .order_by(OrganisationType.position, OrganisationType.name, Organisation.name)
    )
    return [
        PartnerRow(pid, org(oid, name, acronym), code, type_name, plural or type_name, Stage(stage), role, bool(is_dev))
        for pid, oid, name, acronym, code, type_name, plural, stage, role, is_dev in db.session.execute(stmt)
    ]


@dataclass
class AgreementRow:
    id: int
    title: str
    kind: AgreementKind
    status: AgreementStatus
    status_since: PartialDate | None
    signed: PartialDate | None
    counterparts: list[OrgRef]

    @property
    def is_open(self) -> bool:
        return self.status.is_open


def agreements(centre_id: int, span: Span) -> list[AgreementRow]:
    """The centre's area-3 agreements (``Agreement.area``: not its host agreement or MoA, unless staff placed one
    there) begun by the period's end, each with the status its steps give at that end, as the agreements list
    filtered area=partnerships counts them."""
    as_at = statuses_at(span)
    found = db.session.execute(
        sa.select(Agreement, as_at.c.status)
        .join(as_at, as_at.c.entity_id == Agreement.id)
        .where(Agreement.centre_id == centre_id, area_expression() == ReportArea.PARTNERSHIPS.value)
        .order_by(Agreement.title)
    ).all()
    names: dict[int, list[OrgRef]] = {agreement.id: [] for agreement, _ in found}
    if names:
        pairs = db.session.execute(
            sa.select(agreement_counterparts.c.agreement_id, Organisation.id, Organisation.name, Organisation.acronym)
            .join(Organisation, Organisation.id == agreement_counterparts.c.organisation_id)
            .where(agreement_counterparts.c.agreement_id.in_(names))
            .order_by(Organisation.name)
        )
        for agreement_id, oid, name, acronym in pairs:
            names[agreement_id].append(org(oid, name, acronym))
    rows = []
    for agreement, status in found:
        status = AgreementStatus(status)
        # The date of the status only when it is still the status the agreement has today (else: unknown here).
        since = agreement.status_since if status == agreement.status else None
        signed = agreement.signed if agreement.signed and agreement.signed.start <= span_end(span) else None
        rows.append(
            AgreementRow(agreement.id, agreement.title, agreement.kind, status, since, signed, names[agreement.id])
        )
    return rows


def span_end(span: Span) -> date:
    return span.ends_on or date.max


@dataclass
class ProposalRow:
    id: int
    title: str
    status: str
    funder: OrgRef
    submitted_on: date | None
    decision_on: date | None
    submitted_in_period: bool = False
    funded_in_period: bool = False
    requested: Money | None = None
    awarded: Money | None = None


def proposals(centre_id: int, span: Span) -> list[ProposalRow]:
    """The centre's proposals recorded by the period's end, each with its status at that end and whether it was
    submitted, or funded, in the period (the proposals domain's rules, as its list filters them)."""
    as_at = proposal_statuses_at(span)
    p = Proposal
    stmt = (
        sa.select(p.id, p.title, as_at.c.status, Organisation.id, Organisation.name, Organisation.acronym)
        .add_columns(p.submitted_on, p.decision_on, submitted_within(span), funded_within(span))
        .add_columns(p.requested_amount, p.requested_currency, p.awarded_amount, p.awarded_currency)
        .join(as_at, as_at.c.entity_id == p.id)
        .join(Organisation, Organisation.id == p.funder_id)
        .where(p.centre_id == centre_id)
        .order_by(p.submitted_on, p.title)
    )
    rows = []
    for row in db.session.execute(stmt):
        pid, title, status, oid, name, acronym, submitted_on, decided, submitted, funded, *amounts = row
        requested = Money(amounts[0], amounts[1]) if amounts[0] is not None else None
        awarded = Money(amounts[2], amounts[3]) if amounts[2] is not None else None
        funder = org(oid, name, acronym)
        rows.append(
            ProposalRow(
                pid,
                title,
                ProposalStatus(status).value,
                funder,
                submitted_on,
                decided,
                bool(submitted),
                bool(funded),
                requested,
                awarded,
            )
        )
    return rows


@dataclass
class ResourceRow:
    category: str
    kind: str
    purpose: str
    stage: str
    currency: str | None
    amount: Decimal | None
    quantity: Decimal | None
    unit: str
    description: str
    source: OrgRef | None = None
    id: int = 0
    purpose_detail: str = ""
    booked_on: date | None = None
    is_withdrawal: bool = False
    proposal_ids: list[int] = field(default_factory=list)

    @property
    def money(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None


def resources(centre_id: int, span: Span) -> list[ResourceRow]:
    """The entries booked in the period, as the ledger's read model counts them: a withdrawal in the same period
    nets into its entry; one in this period of an earlier entry is a row of its own, negative. Voided ones count
    nowhere. Each with the proposals it funds (one more statement)."""
    e = LedgerEntry
    stmt = (
        live(sa.select(e, Organisation.id, Organisation.name, Organisation.acronym))
        .outerjoin(Organisation, Organisation.id == e.source_id)
        .where(e.centre_id == centre_id, span.within(e.booked_on))
        .order_by(e.booked_on, e.id)
    )
    netted: dict[int, ResourceRow] = {}
    for entry, oid, name, acronym in db.session.execute(stmt):
        if entry.withdraws_id in netted:
            row = netted[entry.withdraws_id]
            row.amount = None if row.amount is None else row.amount + entry.amount
            row.quantity = None if row.quantity is None else row.quantity + entry.quantity
            continue
        netted[entry.id] = ResourceRow(
            category=entry.category.value,
            kind=entry.kind.value,
            purpose=entry.purpose.value,
            stage=entry.stage.value,
            currency=entry.currency,
            amount=entry.amount,
            quantity=entry.quantity,
            unit=entry.unit,
            description=entry.description,
            source=org(oid, name, acronym),
            id=entry.id,
            purpose_detail=entry.purpose_detail,
            booked_on=entry.booked_on,
            is_withdrawal=entry.withdraws_id is not None,
        )
    rows = [row for row in netted.values() if row.amount != 0 and row.quantity != 0]
    if rows:
        links = db.session.execute(
            sa.select(ledger_entry_proposals.c.entry_id, ledger_entry_proposals.c.proposal_id).where(
                ledger_entry_proposals.c.entry_id.in_([row.id for row in rows])
            )
        )
        by_id = {row.id: row for row in rows}
        for entry_id, proposal_id in links:
            by_id[entry_id].proposal_ids.append(proposal_id)
    return rows


def challenges(centre_id: int, span: Span) -> list[Challenge]:
    """The challenges staff recorded that stand in the period: noted by its end, not resolved before it began."""
    stmt = sa.select(Challenge).where(Challenge.centre_id == centre_id, span.by_end(Challenge.noted_on))
    if span.starts_on:
        stmt = stmt.where(sa.or_(Challenge.resolved_on.is_(None), Challenge.resolved_on >= span.starts_on))
    return db.session.scalars(stmt.order_by(Challenge.area, Challenge.noted_on, Challenge.id)).all()


@dataclass
class PeriodRow:
    centre: Centre
    period: ReportingPeriod
    section: ReportSection | None  # the latest revision
    submitted: ReportSection | None = None  # the latest submitted revision

    @property
    def newer_draft(self) -> ReportSection | None:
        """The revision being worked on since the one submitted (or the only one, never submitted)."""
        if self.section is not None and not self.section.is_submitted:
            return self.section
        return None


def periods_with_sections(centre_ids: set[int] | None) -> list[PeriodRow]:
    """Every reporting period the user may see with its latest revision and its latest submitted one, in one
    statement (the GCE reads the submitted one beside any newer draft)."""
    latest = (
        sa.select(ReportSection.period_id, sa.func.max(ReportSection.revision).label("revision"))
        .where(ReportSection.language == FILED_LANGUAGE)
        .group_by(ReportSection.period_id)
        .subquery()
    )
    latest_submitted = (
        sa.select(ReportSection.period_id, sa.func.max(ReportSection.revision).label("revision"))
        .where(ReportSection.submitted_at.is_not(None), ReportSection.language == FILED_LANGUAGE)
        .group_by(ReportSection.period_id)
        .subquery()
    )
    submitted = aliased(ReportSection, name="submitted")
    stmt = (
        sa.select(Centre, ReportingPeriod, ReportSection, submitted)
        .join(ReportingPeriod, ReportingPeriod.centre_id == Centre.id)
        .outerjoin(latest, latest.c.period_id == ReportingPeriod.id)
        .outerjoin(
            ReportSection,
            sa.and_(
                ReportSection.period_id == ReportingPeriod.id,
                ReportSection.language == FILED_LANGUAGE,
                ReportSection.revision == latest.c.revision,
            ),
        )
        .outerjoin(latest_submitted, latest_submitted.c.period_id == ReportingPeriod.id)
        .outerjoin(
            submitted,
            sa.and_(
                submitted.period_id == ReportingPeriod.id,
                submitted.language == FILED_LANGUAGE,
                submitted.revision == latest_submitted.c.revision,
            ),
        )
        .order_by(Centre.code, ReportingPeriod.starts_on.desc())
    )
    if centre_ids is not None:
        stmt = stmt.where(Centre.id.in_(centre_ids))
    return [PeriodRow(*row) for row in db.session.execute(stmt)]


def challenge_list(centre_ids: set[int] | None) -> list[Challenge]:
    stmt = sa.select(Challenge).order_by(Challenge.centre_id, Challenge.area, Challenge.noted_on.desc(), Challenge.id)
    if centre_ids is not None:
        stmt = stmt.where(Challenge.centre_id.in_(centre_ids))
    return db.session.scalars(stmt).all()


def submitted_sections_covering(centre_id: int, day: date) -> list[ReportSection]:
    """A centre's submitted sections whose reporting period holds ``day`` (one statement)."""
    return db.session.scalars(
        sa.select(ReportSection)
        .join(ReportingPeriod, ReportingPeriod.id == ReportSection.period_id)
        .where(
            ReportSection.centre_id == centre_id,
            ReportSection.submitted_at.is_not(None),
            ReportingPeriod.starts_on <= day,
            ReportingPeriod.ends_on >= day,
        )
        .order_by(ReportingPeriod.starts_on, ReportSection.revision)
    ).all()


def section_history(section: ReportSection, limit: int = 100) -> list[AuditEntry]:
    """Who changed the section or its rows, and when (submission included), newest first, in one statement."""
    row_ids = sa.select(ReportOutput.id).where(ReportOutput.section_id == section.id)
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(
                sa.and_(AuditEntry.entity == ReportSection.__tablename__, AuditEntry.entity_id == section.id),
                sa.and_(AuditEntry.entity == ReportOutput.__tablename__, AuditEntry.entity_id.in_(row_ids)),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
