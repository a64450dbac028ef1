from tests.access_specs import Rule


def _entry(w):
    return {"entry_id": w.records["entry"].id}


RULES = {
    "funding.index": Rule(staff=200, hidden=lambda w: w.records["entry"].purpose_detail),
    "funding.receipts": Rule(staff=200, hidden=lambda w: w.records["entry"].purpose_detail),
    "funding.new": Rule(staff=200, coordinator=403, admin=403),
    "funding.show": Rule(args=_entry),
    "funding.edit": Rule(args=_entry, coordinator=403, admin=403),
    "funding.void": Rule(args=_entry, method="POST", coordinator=403, admin=403),
    "funding.withdraw": Rule(args=_entry, method="POST", coordinator=403, admin=403),
    "funding.add_tranche": Rule(args=_entry, method="POST", coordinator=403, admin=403),
    "funding.void_tranche": Rule(
        args=lambda w: {**_entry(w), "tranche_id": w.records["tranche"].id}, method="POST", coordinator=403, admin=403
    ),
    "funding.need_new": Rule(staff=200, coordinator=403, admin=403),
    "funding.need_edit": Rule(args=lambda w: {"need_id": w.records["need"].id}, coordinator=403, admin=403),
    # Readable by whoever reads the centre; the form only for its staff.
    "funding.strategy": Rule(args=lambda w: {"centre_id": w.foreign.id}),
}


def build(world):
    from datetime import date

    from crm.funding.services import record_tranche, save_need
    from tests.factories import Factory, save

    make = Factory()
    entry = make.ledger_entry(world.foreign, purpose_detail="Secret purpose of the foreign centre")
    world.records["entry"] = entry
    world.records["tranche"] = save(
        record_tranche(entry, {"received_on": date(2025, 4, 1), "amount": "10", "currency": "CNY"})
    )
    world.records["need"] = save(save_need(None, world.foreign.id, {"title": "Foreign need", "purpose": "other"}))
