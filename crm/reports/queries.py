"""Reads the drafter makes over the registers: a fixed number of statements per section, whatever the records.

Each function returns plain rows for one centre and reporting period; the drafter turns them into words.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.agreements.models import Agreement, AgreementStatus, agreement_counterparts
from crm.agreements.queries import statuses_at
from crm.audit.models import AuditEntry
from crm.centres.models import Centre, ReportingPeriod
from crm.core.periods import Span
from crm.extensions import db
from crm.funding.models import LedgerEntry
from crm.funding.queries import live
from crm.partners.models import Organisation, OrganisationType, Partnership, Stage
from crm.proposals.models import Proposal, ProposalStatus
from crm.proposals.queries import funded_within, submitted_within
from crm.proposals.queries import statuses_at as proposal_statuses_at
from crm.reports.models import ReportOutput, ReportSection


@dataclass
class PartnerRow:
    type_name: str
    type_code: str
    stage: Stage
    name: str


def partners(centre_id: int, span: Span) -> list[PartnerRow]:
    """The centre's partnerships engaged by the period's end (``crm.core.periods``), closed ones left out,
    ordered by type then name."""
    stmt = (
        sa.select(
            OrganisationType.name, OrganisationType.code, Partnership.stage, Organisation.name, Organisation.acronym
        )
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(
            Partnership.centre_id == centre_id, Partnership.stage != Stage.CLOSED, span.by_end(Partnership.engaged_on)
        )
        .order_by(OrganisationType.position, OrganisationType.name, Organisation.name)
    )
    # The acronym where there is one, as the reports write their partner lists: a details cell has ~150 words.
    return [
        PartnerRow(type_name, type_code, Stage(stage), acronym or name)
        for type_name, type_code, stage, name, acronym in db.session.execute(stmt)
    ]


@dataclass
class AgreementRow:
    id: int
    title: str
    kind_label: str
    status_label: str
    status_since: str
    is_open: bool
    counterparts: list[str]


def agreements(centre_id: int, span: Span) -> list[AgreementRow]:
    """The centre's agreements begun by the period's end, each with the status its steps give at that end."""
    as_at = statuses_at(span)
    found = db.session.execute(
        sa.select(Agreement, as_at.c.status)
        .join(as_at, as_at.c.entity_id == Agreement.id)
        .where(Agreement.centre_id == centre_id)
        .order_by(Agreement.title)
    ).all()
    status_at = {agreement.id: AgreementStatus(status) for agreement, status in found}
    agreements_ = [agreement for agreement, _ in found]
    names: dict[int, list[str]] = {a.id: [] for a in agreements_}
    if agreements_:
        pairs = db.session.execute(
            sa.select(agreement_counterparts.c.agreement_id, Organisation.name, Organisation.acronym)
            .join(Organisation, Organisation.id == agreement_counterparts.c.organisation_id)
            .where(agreement_counterparts.c.agreement_id.in_(names))
            .order_by(Organisation.name)
        )
        for agreement_id, name, acronym in pairs:
            names[agreement_id].append(acronym or name)
    return [
        AgreementRow(
            a.id,
            a.title,
            a.kind.label,
            status_at[a.id].label,
            str(a.status_since) if a.status_since and status_at[a.id] == a.status else "",
            status_at[a.id].is_open,
            names[a.id],
        )
        for a in agreements_
    ]


@dataclass
class ProposalRow:
    title: str
    status: str
    funder: str
    submitted_on: date | None
    decision_on: date | None
    submitted_in_period: bool = False
    funded_in_period: bool = False


def proposals(centre_id: int, span: Span) -> list[ProposalRow]:
    """The centre's proposals recorded by the period's end, each with its status at that end and whether it was
    submitted, or funded, in the period (the proposals domain's rules, as its list filters them)."""
    as_at = proposal_statuses_at(span)
    stmt = (
        sa.select(Proposal.title, as_at.c.status, Organisation.name, Organisation.acronym)
        .add_columns(Proposal.submitted_on, Proposal.decision_on, submitted_within(span), funded_within(span))
        .join(as_at, as_at.c.entity_id == Proposal.id)
        .join(Organisation, Organisation.id == Proposal.funder_id)
        .where(Proposal.centre_id == centre_id)
        .order_by(Proposal.submitted_on, Proposal.title)
    )
    return [
        ProposalRow(title, str(ProposalStatus(status).value), acronym or name, submitted_on, decided, submitted, funded)
        for title, status, name, acronym, submitted_on, decided, submitted, funded in db.session.execute(stmt)
    ]


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
    source: str


def resources(centre_id: int, span: Span) -> list[ResourceRow]:
    """The entries booked in the period, as the ledger's read model counts them: a withdrawal in the same period
    nets into its entry; one in this period of an earlier entry is a row of its own, negative. Voided ones count
    nowhere."""
    e = LedgerEntry
    stmt = (
        live(sa.select(e, Organisation.name, Organisation.acronym))
        .outerjoin(Organisation, Organisation.id == e.source_id)
        .where(e.centre_id == centre_id, span.within(e.booked_on))
        .order_by(e.booked_on, e.id)
    )
    found = db.session.execute(stmt).all()
    netted: dict[int, list] = {}
    for entry, name, acronym in found:
        if entry.withdraws_id in netted:
            row = netted[entry.withdraws_id]
            row[5] = None if row[5] is None else row[5] + entry.amount
            row[6] = None if row[6] is None else row[6] + entry.quantity
            continue
        netted[entry.id] = [
            entry.category.value,
            entry.kind.value,
            entry.purpose.value,
            entry.stage.value,
            entry.currency,
            entry.amount,
            entry.quantity,
            entry.unit,
            ("withdrawn: " if entry.withdraws_id else "") + (entry.purpose_detail or entry.description),
            (acronym or name) if name else "",
        ]
    return [ResourceRow(*row) for row in netted.values() if row[5] != 0 and row[6] != 0]


@dataclass
class PeriodRow:
    centre: Centre
    period: ReportingPeriod
    section: ReportSection | None


def periods_with_sections(centre_ids: set[int] | None) -> list[PeriodRow]:
    """Every reporting period the user may see with the latest revision of its section, in one statement."""
    latest = (
        sa.select(ReportSection.period_id, sa.func.max(ReportSection.revision).label("revision"))
        .group_by(ReportSection.period_id)
        .subquery()
    )
    stmt = (
        sa.select(Centre, ReportingPeriod, ReportSection)
        .join(ReportingPeriod, ReportingPeriod.centre_id == Centre.id)
        .outerjoin(latest, latest.c.period_id == ReportingPeriod.id)
        .outerjoin(
            ReportSection,
            sa.and_(ReportSection.period_id == ReportingPeriod.id, ReportSection.revision == latest.c.revision),
        )
        .order_by(Centre.code, ReportingPeriod.starts_on.desc())
    )
    if centre_ids is not None:
        stmt = stmt.where(Centre.id.in_(centre_ids))
    return [PeriodRow(centre, period, section) for centre, period, section in db.session.execute(stmt)]


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
