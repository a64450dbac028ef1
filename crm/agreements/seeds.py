"""Demo agreements from seeds/agreements.toml, with their history steps; idempotent by centre and title."""

import sqlalchemy as sa

from crm.agreements import services
from crm.agreements.models import Agreement
from crm.centres.services import centre_by_code
from crm.core.partial_dates import parse_partial_date
from crm.extensions import db
from crm.partners.seeds import organisation_named
from crm.seeding import read_seed


def seed(seeds_dir) -> list[str]:
    for item in read_seed("agreements.toml", seeds_dir)["agreement"]:
        centre = centre_by_code(item["centre"])
        exists = db.session.scalar(
            sa.select(Agreement.id).where(Agreement.centre_id == centre.id, Agreement.title == item["title"])
        )
        if exists is not None:
            continue
        steps = item["step"]
        first = steps[0]
        data = {
            **item,
            "counterpart_ids": [organisation_named(key).id for key in item["counterparts"]],
            "status": first["status"],
            "status_since": parse_partial_date(first["on"]),
            "step_note": first["note"],
        }
        agreement = services.create_agreement(centre.id, data, None)
        for step in steps[1:]:
            services.add_step(agreement, step["status"], parse_partial_date(step["on"]), step["note"], None)
    return []
