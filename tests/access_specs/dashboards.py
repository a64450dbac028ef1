from tests.access_specs import Rule

RULES = {
    # Another centre's dashboard does not exist for staff; coordinators and admins read every centre.
    "dashboards.centre": Rule(args=lambda w: {"centre": w.foreign.code}),
    "dashboards.network": Rule(staff=403),
}
