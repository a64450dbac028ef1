from tests.access_specs import Rule


def _section(w):
    return {"section_id": w.records["report_section"].id}


def _challenge(w):
    return {"challenge_id": w.records["challenge"].id}


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
    # As starting a section: only staff who write the centre's records.
    "reports.working_copy": Rule(
        args=lambda w: _section(w) | {"language": "ru"}, method="POST", coordinator=403, admin=403
    ),
    # Filling a report file changes nothing stored: whoever reads the section may (no file sent: the form again).
    "reports.fill_report": Rule(args=_section, method="POST", coordinator=422, admin=422),
    "reports.compilation_page": Rule(staff=403),
    "reports.compilation_export": Rule(
        args=lambda w: {"fmt": "pdf", "period": w.records["report_period"].label}, staff=403
    ),
    "reports.challenges": Rule(staff=200, hidden=lambda w: w.records["challenge"].challenge),
    "reports.challenge_new": Rule(staff=200, coordinator=403, admin=403),
    "reports.challenge_edit": Rule(args=_challenge),
    "reports.challenge_delete": Rule(args=_challenge, method="POST", coordinator=403, admin=403),
}


def build(world):
    from tests.factories import Factory

    factory = Factory()
    world.records["report_period"] = factory.period(world.foreign, label="2027-2028")
    world.records["report_section"] = factory.report_section(world.foreign)
    world.records["challenge"] = factory.challenge(world.foreign, challenge="Secret challenge of the foreign centre")
