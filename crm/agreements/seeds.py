"""Demo agreements from seeds/agreements.toml, with their history steps, each under a stable key."""

import sqlalchemy as sa

from crm.agreements import services
from crm.agreements.models import Agreement
from crm.centres.models import Centre
from crm.core.partial_dates import parse_partial_date
from crm.extensions import db
from crm.partners.seeds import organisation
from crm.seeding import read_seed, seed_once, seeded


def create(centre: Centre, item: dict) -> Agreement:
    steps = item["step"]
    first = steps[0]
    data = {
        **item,
        "counterpart_ids": [o.id for o in map(organisation, item["counterparts"]) if o is not None],
        "status": first["status"],
        "status_since": parse_partial_date(first["on"]),
        "step_note": first["note"],
    }
    agreement = services.create_agreement(centre.id, data, None)
    for step in steps[1:]:
        services.add_step(agreement, step["status"], parse_partial_date(step["on"]), step["note"], None)
    return agreement


def seed(seeds_dir) -> list[str]:
    for item in read_seed("agreements.toml", seeds_dir)["agreement"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        if centre is None:
            continue
        seed_once(
            f"agreement:{item['centre']}:{item['title']}",
            Agreement,
            lambda centre=centre, item=item: db.session.scalar(
                sa.select(Agreement).where(Agreement.centre_id == centre.id, Agreement.title == item["title"])
            ),
            lambda centre=centre, item=item: create(centre, item),
        )
    return []
