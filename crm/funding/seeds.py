"""The demo ledger from seeds/funding.toml, each entry and need under a stable key."""

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.extensions import db
from crm.funding import services
from crm.funding.models import FundingNeed, LedgerEntry, MobilisationStrategy
from crm.funding.queries import strategy_of
from crm.partners.seeds import organisation, seed_organisation
from crm.proposals.models import Proposal
from crm.seeding import read_seed, reported_on, seed_once, seeded


def create_entry(centre: Centre, source, item: dict, seeds_dir) -> LedgerEntry:
    proposals = [seeded(f"proposal:{item['centre']}:{title}", Proposal) for title in item.get("proposals", [])]
    data = {**item, "source_id": source.id, "booked_on": item.get("booked_on") or reported_on(seeds_dir)}
    return services.record_entry(centre.id, data, [p for p in proposals if p is not None])


def seed(seeds_dir) -> list[str]:
    data = read_seed("funding.toml", seeds_dir)
    for item in data["source"]:
        seed_organisation(item)
    for item in data["entry"]:
        centre, source = seeded(f"centre:{item['centre']}", Centre), organisation(item["source"])
        if centre is None or source is None:
            continue
        seed_once(
            f"ledger:{item['centre']}:{item['source']}:{item['purpose_detail']}",
            LedgerEntry,
            lambda centre=centre, source=source, item=item: db.session.scalar(
                sa.select(LedgerEntry).where(
                    LedgerEntry.centre_id == centre.id,
                    LedgerEntry.source_id == source.id,
                    LedgerEntry.purpose_detail == item["purpose_detail"],
                )
            ),
            lambda centre=centre, source=source, item=item: create_entry(centre, source, item, seeds_dir),
        )
    for item in data["need"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        if centre is None:
            continue
        seed_once(
            f"need:{item['centre']}:{item['title']}",
            FundingNeed,
            lambda centre=centre, item=item: db.session.scalar(
                sa.select(FundingNeed).where(FundingNeed.centre_id == centre.id, FundingNeed.title == item["title"])
            ),
            lambda centre=centre, item=item: services.save_need(None, centre.id, item),
        )
    for item in data["strategy"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        if centre is not None:
            seed_once(
                f"strategy:{item['centre']}",
                MobilisationStrategy,
                lambda centre=centre: strategy_of(centre.id),
                lambda centre=centre, item=item: services.save_strategy(None, centre.id, strategy_data(item)),
            )
    return []


def strategy_data(item: dict) -> dict:
    """A seeded strategy as the service takes it: each source with its steps, steps of no source apart."""
    sources = item.get("source", [])
    steps = [{"action": action} for action in item.get("steps", [])]
    steps += [{"action": action, "source": source["label"]} for source in sources for action in source.get("steps", [])]
    return {"status": item["status"], "sources": sources, "steps": steps}
