"""Reads the drafter makes over the registers: a fixed number of statements per section, whatever the records.

Each function returns plain rows for one centre and reporting period; the drafter turns them into words.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.agreements.models import Agreement, agreement_counterparts
from crm.audit.models import AuditEntry
from crm.centres.models import Centre, ReportingPeriod
from crm.extensions import db
from crm.funding.models import LedgerEntry
from crm.partners.models import Organisation, OrganisationType, Partnership, Stage
from crm.proposals.models import Proposal
from crm.reports.models import ReportOutput, ReportSection


@dataclass
class PartnerRow:
    type_name: str
    type_code: str
    stage: Stage
    name: str


def partners(centre_id: int) -> list[PartnerRow]:
    """The centre's partnerships as they stand, closed ones left out, ordered by type then name."""
    stmt = (
        sa.select(
            OrganisationType.name, OrganisationType.code, Partnership.stage, Organisation.name, Organisation.acronym
        )
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .join(OrganisationType, OrganisationType.id == Organisation.type_id)
        .where(Partnership.centre_id == centre_id, Partnership.stage != Stage.CLOSED)
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


def agreements(centre_id: int) -> list[AgreementRow]:
    rows = db.session.execute(
        sa.select(Agreement).where(Agreement.centre_id == centre_id).order_by(Agreement.title)
    ).scalars()
    agreements_ = list(rows)
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
            a.status.label,
            str(a.status_since) if a.status_since else "",
            a.status.is_open,
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


def proposals(centre_id: int) -> list[ProposalRow]:
    stmt = (
        sa.select(Proposal.title, Proposal.status, Organisation.name, Organisation.acronym)
        .add_columns(Proposal.submitted_on, Proposal.decision_on)
        .join(Organisation, Organisation.id == Proposal.funder_id)
        .where(Proposal.centre_id == centre_id)
        .order_by(Proposal.submitted_on, Proposal.title)
    )
    return [
        ProposalRow(title, str(status.value), acronym or name, submitted_on, decision_on)
        for title, status, name, acronym, submitted_on, decision_on in db.session.execute(stmt)
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


def resources(centre_id: int, period: ReportingPeriod) -> list[ResourceRow]:
    """Active ledger entries booked in the period (or undated): reversed entries and reversals cancel out."""
    reversed_ids = sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    stmt = (
        sa.select(LedgerEntry, Organisation.name, Organisation.acronym)
        .outerjoin(Organisation, Organisation.id == LedgerEntry.source_id)
        .where(
            LedgerEntry.centre_id == centre_id,
            LedgerEntry.reverses_id.is_(None),
            LedgerEntry.id.not_in(reversed_ids),
            sa.or_(LedgerEntry.booked_on.is_(None), LedgerEntry.booked_on.between(period.starts_on, period.ends_on)),
        )
        .order_by(LedgerEntry.booked_on, LedgerEntry.id)
    )
    return [
        ResourceRow(
            entry.category.value,
            entry.kind.value,
            entry.purpose.value,
            entry.stage.value,
            entry.currency,
            entry.amount,
            entry.quantity,
            entry.unit,
            entry.purpose_detail or entry.description,
            (acronym or name) if name else "",
        )
        for entry, name, acronym in db.session.execute(stmt)
    ]


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
