"""Demo partners from seeds/partners.toml: idempotent, keyed by type code, organisation name or acronym."""

import sqlalchemy as sa

from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.partners import services
from crm.partners.models import Organisation
from crm.seeding import read_seed


def organisation_named(key: str) -> Organisation | None:
    return db.session.scalar(
        sa.select(Organisation).where(sa.or_(Organisation.name == key, Organisation.acronym == key))
    )


def seed(seeds_dir) -> list[str]:
    data = read_seed("partners.toml", seeds_dir)
    for code, name in data["types"]:
        if services.type_by_code(code) is None:
            services.add_type(name, code)
    for item in data["organisation"]:
        if organisation_named(item["name"]) is None:
            kind = services.type_by_code(item["type"])
            services.save_organisation(None, {**item, "type_id": kind.id})
    for item in data["partnership"]:
        centre = centre_by_code(item["centre"])
        for key in item.get("organisations") or [item["organisation"]]:
            organisation = organisation_named(key)
            if services.partnership_of(centre.id, organisation.id) is None:
                services.save_partnership(None, {**item, "organisation_id": organisation.id}, centre_id=centre.id)
    return []
