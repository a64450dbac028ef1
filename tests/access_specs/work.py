from tests.access_specs import Rule

RULES = {
    # My work filters by centre: the foreign centre's agreement (a stalled draft) shows to coordinators only.
    "work.mine": Rule(staff=200, hidden=lambda w: w.records["agreement"].title),
    "work.settings": Rule(staff=200),
    "work.new_feed": Rule(method="POST", staff=200),
    "work.revoke_feed": Rule(method="POST", staff=302, coordinator=302, admin=302),
    # The feed needs no sign-in: its token is the key. A wrong one is a 404 for everyone, signed in or not.
    "work.feed": Rule(args=lambda w: {"token": "not-a-token"}, anonymous=404, staff=404, coordinator=404, admin=404),
}
