from tests.access_specs import Rule

PUBLIC = {"static", "auth.login", "auth.language"}

RULES = {
    "centres.home": Rule(staff=200, hidden=lambda w: w.foreign.name),
    "centres.index": Rule(staff=200, hidden=lambda w: w.foreign.name),
    "centres.show": Rule(args=lambda w: {"code": w.foreign.code}),
    "centres.new": Rule(staff=403, coordinator=403),
    "centres.edit": Rule(args=lambda w: {"code": w.foreign.code}, staff=403, coordinator=403),
    "centres.add_period": Rule(
        args=lambda w: {"code": w.foreign.code}, method="POST", staff=403, coordinator=403, admin=422
    ),
    "auth.logout": Rule(method="POST", staff=302, coordinator=302, admin=302),
    "auth.password": Rule(staff=200),
    "auth.profile": Rule(staff=200),
    # Password reset is for people who cannot sign in: open to all; an unknown link is a 404 for everyone.
    "auth.reset_request": Rule(anonymous=200, staff=200),
    "auth.reset_password": Rule(
        args=lambda w: {"token": "not-a-token"}, anonymous=404, staff=404, coordinator=404, admin=404
    ),
    "audit.index": Rule(staff=403, coordinator=403),
    "auth.users": Rule(staff=403, coordinator=403),
    "auth.user_new": Rule(staff=403, coordinator=403),
    "auth.user_edit": Rule(args=lambda w: {"user_id": w.records["foreign_staff"].id}, staff=403, coordinator=403),
}


def build(world):
    from crm.auth.models import Role
    from tests.factories import Factory

    world.records["foreign_staff"] = Factory().user(Role.STAFF, [world.foreign])
