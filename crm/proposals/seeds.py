"""Demo funders, programmes and proposals from seeds/proposals.toml, each under a stable key."""

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.extensions import db
from crm.partners.seeds import organisation, seed_organisation
from crm.proposals import services
from crm.proposals.models import FundingMechanism, Proposal
from crm.seeding import read_seed, reported_on, seed_once, seeded


def mechanism_named(funder, name: str) -> FundingMechanism | None:
    return db.session.scalar(
        sa.select(FundingMechanism).where(FundingMechanism.funder_id == funder.id, FundingMechanism.name == name)
    )


def create_proposal(centre: Centre, item: dict, seeds_dir) -> Proposal:
    """The proposal at its reported status, in one step dated as the report: it gives no dates nor earlier steps."""
    funder = organisation(item["funder"])
    mechanism = (
        seeded(f"mechanism:{item['funder']}:{item['mechanism']}", FundingMechanism) if item.get("mechanism") else None
    )
    data = {
        **item,
        "funder_id": funder.id,
        "mechanism_id": mechanism.id if mechanism else None,
        "partner_ids": [o.id for o in map(organisation, item.get("partners", [])) if o is not None],
        "notes": item.get("note", ""),
        "status_on": reported_on(seeds_dir),
        "status_note": "As reported in the 2025-2026 biennial report of 30 April 2026, which gives no earlier date.",
    }
    return services.create_proposal(centre.id, data)


def seed(seeds_dir) -> list[str]:
    data = read_seed("proposals.toml", seeds_dir)
    for item in data["funder"]:
        seed_organisation(item)
    for item in data["mechanism"]:
        funder = organisation(item["funder"])
        if funder is None:
            continue
        seed_once(
            f"mechanism:{item['funder']}:{item['name']}",
            FundingMechanism,
            lambda funder=funder, item=item: mechanism_named(funder, item["name"]),
            lambda funder=funder, item=item: services.save_mechanism(None, {**item, "funder_id": funder.id}),
        )
    for item in data["proposal"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        if centre is None or organisation(item["funder"]) is None:
            continue
        seed_once(
            f"proposal:{item['centre']}:{item['title']}",
            Proposal,
            lambda centre=centre, item=item: db.session.scalar(
                sa.select(Proposal).where(Proposal.centre_id == centre.id, Proposal.title == item["title"])
            ),
            lambda centre=centre, item=item: create_proposal(centre, item, seeds_dir),
        )
    return []
