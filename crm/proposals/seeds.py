"""Demo funders, programmes and proposals from seeds/proposals.toml: idempotent, keyed by name or title."""

import sqlalchemy as sa

from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import Organisation
from crm.proposals import services
from crm.proposals.models import FundingMechanism, Proposal
from crm.seeding import read_seed


def organisation_named(key: str) -> Organisation | None:
    return db.session.scalar(
        sa.select(Organisation).where(sa.or_(Organisation.name == key, Organisation.acronym == key))
    )


def mechanism_named(funder: Organisation, name: str) -> FundingMechanism | None:
    return db.session.scalar(
        sa.select(FundingMechanism).where(FundingMechanism.funder_id == funder.id, FundingMechanism.name == name)
    )


def seed_proposal(item: dict) -> None:
    """The proposal at its reported status, in one undated step: the report gives no dates nor earlier steps."""
    centre = centre_by_code(item["centre"])
    funder = organisation_named(item["funder"])
    mechanism = mechanism_named(funder, item["mechanism"]) if item.get("mechanism") else None
    data = {
        **item,
        "funder_id": funder.id,
        "mechanism_id": mechanism.id if mechanism else None,
        "partner_ids": [organisation_named(key).id for key in item.get("partners", [])],
        "notes": item.get("note", ""),
        "status_note": "As reported in the 2025-2026 biennial report, which gives no date.",
    }
    services.create_proposal(centre.id, data)


def seed(seeds_dir) -> list[str]:
    data = read_seed("proposals.toml", seeds_dir)
    for item in data["funder"]:
        if organisation_named(item["name"]) is None and organisation_named(item["acronym"]) is None:
            kind = partners.type_by_code(item["type"])
            partners.save_organisation(None, {**item, "type_id": kind.id})
    for item in data["mechanism"]:
        funder = organisation_named(item["funder"])
        if mechanism_named(funder, item["name"]) is None:
            services.save_mechanism(None, {**item, "funder_id": funder.id})
    for item in data["proposal"]:
        centre = centre_by_code(item["centre"])
        exists = db.session.scalar(
            sa.select(Proposal.id).where(Proposal.centre_id == centre.id, Proposal.title == item["title"])
        )
        if exists is None:
            seed_proposal(item)
    return []
