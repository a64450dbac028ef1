from tests.access_specs import Rule


def _section(w):
    return {"section_id": w.records["report_section"].id}


RULES = {
    "reports.index": Rule(staff=200, hidden=lambda w: w.foreign.code),
    "reports.start": Rule(
        args=lambda w: {"period_id": w.records["report_period"].id}, method="POST", coordinator=403, admin=403
    ),
    "reports.show": Rule(args=_section),
    "reports.export": Rule(args=lambda w: _section(w) | {"fmt": "pdf"}),
    "reports.edit": Rule(args=_section, coordinator=403, admin=403),
    "reports.redraft": Rule(args=_section, coordinator=403, admin=403),
    "reports.add_row": Rule(args=_section, method="POST", coordinator=403, admin=403),
    "reports.remove_row": Rule(
        args=lambda w: _section(w) | {"row_id": w.records["report_section"].outputs[0].id},
        method="POST",
        coordinator=403,
        admin=403,
    ),
    "reports.submit": Rule(args=_section, method="POST", coordinator=403, admin=403),
    "reports.revise": Rule(args=_section, method="POST", coordinator=403, admin=403),
}


def build(world):
    from tests.factories import Factory

    factory = Factory()
    world.records["report_period"] = factory.period(world.foreign, label="2027-2028")
    world.records["report_section"] = factory.report_section(world.foreign)
