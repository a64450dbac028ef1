from tests.access_specs import Rule


def _expert(world):
    return {"expert_id": world.records["expert"].id}


def _engagement(world):
    return _expert(world) | {"engagement_id": world.records["engagement"].id}


RULES = {
    "experts.index": Rule(staff=200, hidden=lambda w: w.records["expert"].name),
    "experts.counts": Rule(staff=200, hidden=lambda w: w.foreign.code),
    "experts.pools": Rule(staff=200, hidden=lambda w: w.records["pool"].name),
    "experts.new": Rule(staff=200, coordinator=403, admin=403),
    "experts.show": Rule(args=_expert),
    "experts.edit": Rule(args=_expert, coordinator=403, admin=403, staff=404),
    "experts.erase": Rule(args=_expert, coordinator=403, admin=403),
    "experts.cv": Rule(args=_expert, coordinator=403, admin=403),
    "experts.upload_cv": Rule(args=_expert, method="POST", coordinator=403, admin=403),
    "experts.add_engagement": Rule(args=_expert, method="POST", coordinator=403, admin=403),
    "experts.remove_engagement": Rule(args=_engagement, method="POST", coordinator=403, admin=403),
    "experts.new_pool": Rule(staff=200, coordinator=403, admin=403),
    "experts.edit_pool": Rule(args=lambda w: {"pool_id": w.records["pool"].id}, coordinator=403, admin=403),
    "experts.delete_pool": Rule(args=lambda w: {"pool_id": w.records["pool"].id}, coordinator=403, admin=403),
}


def build(world):
    from datetime import date

    from crm.experts.services import add_engagement
    from crm.extensions import db
    from tests.factories import Factory

    make = Factory()
    world.records["pool"] = make.expert_pool(world.foreign, name="Zeta secret pool")
    world.records["expert"] = make.expert(
        world.foreign, name="Zeta hidden expert", pools=[world.records["pool"].id], targets=[3]
    )
    world.records["engagement"] = add_engagement(world.records["expert"], "Zeta workshop", date(2026, 2, 3), None, 2)
    db.session.commit()
