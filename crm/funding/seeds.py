"""The demo ledger from seeds/funding.toml: idempotent, an entry keyed by its centre, source and purpose."""

import sqlalchemy as sa

from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.funding import services
from crm.funding.models import FundingNeed, LedgerEntry
from crm.partners import services as partners
from crm.proposals.models import Proposal
from crm.proposals.seeds import organisation_named
from crm.seeding import read_seed


def seed_entry(item: dict) -> None:
    centre = centre_by_code(item["centre"])
    source = organisation_named(item["source"])
    exists = db.session.scalar(
        sa.select(LedgerEntry.id).where(
            LedgerEntry.centre_id == centre.id,
            LedgerEntry.source_id == source.id,
            LedgerEntry.purpose_detail == item["purpose_detail"],
        )
    )
    if exists is not None:
        return
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.centre_id == centre.id, Proposal.title.in_(item.get("proposals", [])))
    ).all()
    services.record_entry(centre.id, {**item, "source_id": source.id}, proposals)


def seed(seeds_dir) -> list[str]:
    data = read_seed("funding.toml", seeds_dir)
    for item in data["source"]:
        if organisation_named(item["name"]) is None and organisation_named(item["acronym"]) is None:
            partners.save_organisation(None, {**item, "type_id": partners.type_by_code(item["type"]).id})
    for item in data["entry"]:
        seed_entry(item)
    for item in data["need"]:
        centre = centre_by_code(item["centre"])
        exists = db.session.scalar(
            sa.select(FundingNeed.id).where(FundingNeed.centre_id == centre.id, FundingNeed.title == item["title"])
        )
        if exists is None:
            services.save_need(None, centre.id, item)
    return []
