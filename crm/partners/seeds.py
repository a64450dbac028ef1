"""Demo partners from seeds/partners.toml, each under a stable key (``crm.seeding.seed_once``)."""

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.extensions import db
from crm.partners import services
from crm.partners.models import Organisation, OrganisationType, Partnership
from crm.seeding import as_reported, read_seed, seed_once, seeded


def organisation_named(key: str) -> Organisation | None:
    return db.session.scalar(
        sa.select(Organisation).where(sa.or_(Organisation.name == key, Organisation.acronym == key))
    )


def organisation(key: str) -> Organisation | None:
    """The seeded organisation a seed names by its name or acronym, whatever staff renamed it to since."""
    return seeded(f"organisation:{key}", Organisation) or organisation_named(key)


def seed_organisation(item: dict) -> Organisation | None:
    """An organisation of a seed file, known afterwards by its name and by its acronym."""

    def create():
        kind = services.type_by_code(item["type"])
        return services.save_organisation(None, {**item, "type_id": kind.id})

    found = seed_once(
        f"organisation:{item['name']}",
        Organisation,
        lambda: (
            organisation_named(item["name"]) or (organisation_named(item["acronym"]) if item.get("acronym") else None)
        ),
        create,
    )
    if found is not None and item.get("acronym"):
        seed_once(f"organisation:{item['acronym']}", Organisation, lambda: found, lambda: found)
    return found


def seed(seeds_dir) -> list[str]:
    data = read_seed("partners.toml", seeds_dir)
    for code, name, heading in data["types"]:
        seed_once(
            f"organisation-type:{code}",
            OrganisationType,
            lambda code=code: services.type_by_code(code),
            lambda code=code, name=name, heading=heading: services.add_type(name, code, heading),
        )
    for item in data["organisation"]:
        seed_organisation(item)
    engaged = as_reported(seeds_dir)
    for item in data["partnership"]:
        centre = seeded(f"centre:{item['centre']}", Centre)
        for key in item.get("organisations") or [item["organisation"]]:
            found = organisation(key)
            if centre is None or found is None:
                continue
            values = {**item, "organisation_id": found.id, "engaged": engaged}
            seed_once(
                f"partnership:{item['centre']}:{key}",
                Partnership,
                lambda centre=centre, found=found: services.partnership_of(centre.id, found.id),
                lambda centre=centre, values=values: services.save_partnership(None, values, centre_id=centre.id),
            )
    return []
