"""The demo challenges of seeds/reports.toml, each under a stable key (``crm.seeding.seed_once``)."""

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.extensions import db
from crm.reports import services
from crm.reports.models import Challenge
from crm.seeding import as_reported, read_seed, seed_once, seeded


def seed(seeds_dir) -> list[str]:
    noted = as_reported(seeds_dir)
    for item in read_seed("reports.toml", seeds_dir)["challenge"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        if centre is None:
            continue
        seed_once(
            f"challenge:{item['centre']}:{item['challenge'][:200]}",
            Challenge,
            lambda centre=centre, item=item: db.session.scalar(
                sa.select(Challenge).where(Challenge.centre_id == centre.id, Challenge.challenge == item["challenge"])
            ),
            lambda centre=centre, item=item: services.save_challenge(None, centre.id, item | {"noted": noted}, None),
        )
    return []
