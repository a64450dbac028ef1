"""Walk every route in app.url_map for each role, aimed at another centre's records."""

import pytest

from crm.auth.models import Role
from crm.extensions import db
from tests.access_specs import World, all_rules, build_world
from tests.access_specs.foundation import PUBLIC

RULES = all_rules()


def test_every_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - PUBLIC
    missing = sorted(endpoints - set(RULES))
    assert not missing, f"Routes without an access rule in tests/access_specs: {missing}"
    stale = sorted(set(RULES) - endpoints)
    assert not stale, f"Rules for routes that no longer exist: {stale}"


@pytest.fixture
def world(make):
    world = World(own=make.centre(name="Own centre"), foreign=make.centre(name="Foreign centre Zeta"))
    build_world(world)
    world.users = {
        "staff": make.user(Role.STAFF, [world.own]),
        "coordinator": make.user(Role.COORDINATOR),
        "admin": make.user(Role.ADMIN),
    }
    return world


def expected(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("role", ["anonymous", "staff", "coordinator", "admin"])
def test_access_matrix(app, world, role):
    failures = []
    for endpoint, rule in sorted(RULES.items()):
        client = app.test_client()
        if role != "anonymous":
            user = world.users[role]
            db.session.refresh(user)  # a rule such as logout rotates the session token
            with client.session_transaction() as session:
                session["_user_id"] = user.session_token
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **rule.args(world))
        response = client.open(url, method=rule.method, data=rule.data(world) if rule.method == "POST" else None)
        want = expected(getattr(rule, role))
        if response.status_code not in want:
            failures.append(f"{rule.method} {url} ({endpoint}): {response.status_code}, expected {want}")
        elif role == "staff" and rule.hidden and rule.hidden(world) in response.get_data(as_text=True):
            failures.append(f"{url} ({endpoint}) shows the foreign centre's {rule.hidden(world)!r} to staff")
    assert not failures, "\n".join(failures)
