from tests.access_specs import Rule


def _partnership(w):
    return {"partnership_id": w.records["partnership"].id}


def _organisation(w):
    return {"organisation_id": w.records["organisation"].id}


RULES = {
    # The directory is network-wide: every signed-in user reads it; staff and admins keep it.
    "partners.organisations": Rule(staff=200),
    "partners.organisation": Rule(args=_organisation, staff=200, hidden=lambda w: w.records["partnership"].next_step),
    "partners.organisation_new": Rule(staff=200, coordinator=403),
    "partners.organisation_edit": Rule(args=_organisation, staff=200, coordinator=403),
    "partners.types": Rule(staff=403, coordinator=403),
    "partners.type_heading": Rule(
        args=lambda w: {"type_id": w.records["organisation"].type_id},
        method="POST",
        data=lambda w: {"version": w.records["organisation"].type.version, "plural_name": "Research bodies"},
        staff=403,
        coordinator=403,
        admin=302,
    ),
    "partners.partnerships": Rule(staff=200, hidden=lambda w: w.records["partnership"].next_step),
    "partners.contacts": Rule(staff=200, hidden=lambda w: w.records["contact"].name),
    "partners.overlap": Rule(staff=403),
    "partners.partnership_new": Rule(staff=200, coordinator=403, admin=403),
    "partners.partnership": Rule(args=_partnership),
    "partners.partnership_edit": Rule(args=_partnership, coordinator=403, admin=403),
    "partners.partnership_delete": Rule(args=_partnership, coordinator=403, admin=403),
    "partners.contact_new": Rule(args=_partnership, method="POST", coordinator=403, admin=403),
    "partners.contact_edit": Rule(args=lambda w: {"contact_id": w.records["contact"].id}, coordinator=403, admin=403),
    "partners.interaction_new": Rule(args=_partnership, method="POST", coordinator=403, admin=403),
}


def build(world):
    from crm.partners.services import save_contact
    from tests.factories import Factory, save

    make = Factory()
    organisation = make.organisation(name="Shared Organisation Omega")
    partnership = make.partnership(world.foreign, organisation, next_step="Secret next step of the foreign centre")
    world.records["organisation"] = organisation
    world.records["duplicate"] = make.organisation(name="Shared Organisation Omega (again)")
    world.records["partnership"] = partnership
    world.records["contact"] = save(save_contact(partnership, None, {"name": "Foreign Contact Person"}))


def _merge(w):
    return {"organisation_id": w.records["organisation"].id, "into": w.records["duplicate"].id}


# Merging: directory writers choose and preview; staff of another centre may not rewrite its records (403 on the
# confirmed POST), coordinators never write the directory.
RULES["partners.organisation_merge"] = Rule(args=_merge, staff=200, coordinator=403)
