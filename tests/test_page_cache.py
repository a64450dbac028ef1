"""The page cache (crm.core.cache): pages reused across workers while nothing they read changed, never stale,
never another reader's, never a 500 when its store fails."""

import logging

import pytest
import sqlalchemy as sa

from crm import create_app
from crm.auth.models import Role
from crm.centres.models import Centre
from crm.core import cache
from crm.core.cache import CachedPage
from crm.core.versions import NETWORK, SHARED, DataVersion, centre_key
from crm.extensions import db
from tests.factories import Factory

REDIS = "redis://127.0.0.1:6379/15"


def signed_in(app, user_token: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_token
        session["_fresh"] = True
    return client


def body_of(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.data


@pytest.fixture(params=["database", REDIS])
def two_workers(request, fresh_app):
    """Two app instances on one database (two workers, or two hosts), sharing the configured store."""
    first = fresh_app("page_cache", PAGE_CACHE=request.param)
    second = create_app(
        {"SQLALCHEMY_DATABASE_URI": first.config["SQLALCHEMY_DATABASE_URI"], "PAGE_CACHE": request.param}
    )
    if request.param.startswith("redis"):
        cache.store_of(first)[1].client.flushdb()
    yield first, second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def people(two_workers):
    """A centre with an expert, its staff member and a coordinator, committed through the first worker."""
    first, _ = two_workers
    with first.app_context():
        make = Factory()
        centre = make.centre()
        other = make.centre()
        make.expert(centre, name="Ada Firstexpert")
        staff = make.user(Role.STAFF, [centre])
        other_staff = make.user(Role.STAFF, [other])
        coordinator = make.user(Role.COORDINATOR)
        return {
            "centre": (centre.id, centre.code),
            "other": (other.id, other.code),
            "staff": staff.session_token,
            "other_staff": other_staff.session_token,
            "coordinator": coordinator.session_token,
        }


@pytest.mark.parametrize("url", ["/experts", "/dashboards/network", "/dashboards/centre?centre={code}"])
def test_a_write_through_one_worker_is_seen_by_the_other_at_once(two_workers, people, url):
    first, second = two_workers
    url = url.format(code=people["centre"][1])
    reader_a, reader_b = signed_in(first, people["coordinator"]), signed_in(second, people["coordinator"])
    body_of(reader_a, url)  # the CSRF token of the session is made, then the page built and stored
    with reader_b.session_transaction() as session, reader_a.session_transaction() as theirs:
        session.update(theirs)  # one browser, its requests served by either worker
    built = body_of(reader_a, url)
    assert body_of(reader_b, url) == built, "the second worker reuses the page the first one stored"
    with first.app_context():
        Factory().expert(db.session.get(Centre, people["centre"][0]), name="Grace Newexpert")
    after = body_of(reader_b, url)
    assert after != built
    if url == "/experts":
        assert b"Grace Newexpert" in after


def test_every_write_bumps_its_centre_and_the_network_in_its_transaction(two_workers, people):
    first, _ = two_workers
    with first.app_context():
        before = dict(db.session.execute(sa.select(DataVersion.key, DataVersion.version)).all())
        Factory().expert(db.session.get(Centre, people["centre"][0]))
        after = dict(db.session.execute(sa.select(DataVersion.key, DataVersion.version)).all())
    centre_id = people["centre"][0]
    assert after[NETWORK] > before[NETWORK] and after[centre_key(centre_id)] > before[centre_key(centre_id)]
    assert after.get(centre_key(people["other"][0])) == before.get(centre_key(people["other"][0]))


def test_a_ledger_write_and_a_failed_login_leave_other_centres_pages_reusable(two_workers, people):
    """The rollups a ledger write moves and the login throttle's records are no page's data (versions.unversioned):
    only the entry's and the tranche's own centre, and the network, change."""
    from crm.auth.services import record_failure
    from crm.funding.services import record_tranche

    first, _ = two_workers
    centre_id, other_id = people["centre"][0], people["other"][0]
    with first.app_context():
        read = lambda: dict(db.session.execute(sa.select(DataVersion.key, DataVersion.version)).all())  # noqa: E731
        before = read()
        entry = Factory().ledger_entry(db.session.get(Centre, centre_id))
        record_tranche(entry, {"received_on": entry.booked_on, "amount": "400", "currency": "CNY"})
        db.session.commit()
        booked = read()
        record_failure(["someone@example.org"])
        db.session.commit()
        assert read() == booked
    assert booked[centre_key(centre_id)] == before[centre_key(centre_id)] + 2
    assert booked[NETWORK] == before[NETWORK] + 2
    assert booked.get(SHARED) == before.get(SHARED)
    assert booked.get(centre_key(other_id)) == before.get(centre_key(other_id))


def test_a_page_built_for_one_reader_is_never_shown_to_another(two_workers, people):
    first, _ = two_workers
    code = people["centre"][1]
    coordinator = signed_in(first, people["coordinator"])
    assert b"Ada Firstexpert" in body_of(coordinator, "/experts")
    body_of(coordinator, f"/dashboards/centre?centre={code}")
    outsider = signed_in(first, people["other_staff"])
    assert b"Ada Firstexpert" not in body_of(outsider, "/experts")
    assert outsider.get(f"/dashboards/centre?centre={code}").status_code == 404  # another centre's: not found
    assert outsider.get("/dashboards/network").status_code == 403
    own = body_of(signed_in(first, people["staff"]), "/dashboards/centre")
    assert code.encode() in own


def test_a_filter_no_page_matches_is_built_afresh(two_workers, people):
    first, _ = two_workers
    reader = signed_in(first, people["coordinator"])
    body_of(reader, "/dashboards/network")
    body_of(reader, "/dashboards/network")
    filtered = reader.get("/dashboards/network?currency=EUR&rates=month")
    assert filtered.status_code == 200 and b"EUR" in filtered.data
    with first.app_context(), db.engine.connect() as conn:
        stored = conn.scalar(sa.select(sa.func.count()).select_from(CachedPage))
    if first.config["PAGE_CACHE"] == "database":
        assert stored >= 2


def test_a_store_that_fails_leaves_the_page_correct(fresh_app, caplog):
    app = fresh_app("page_cache_down", PAGE_CACHE="redis://127.0.0.1:1/0")
    with app.app_context():
        make = Factory()
        centre = make.centre()
        make.expert(centre, name="Ada Firstexpert")
        token = make.user(Role.COORDINATOR).session_token
    reader = signed_in(app, token)
    with caplog.at_level(logging.WARNING, logger="crm.core.cache"):
        for _ in range(3):
            assert b"Ada Firstexpert" in body_of(reader, "/experts")
            assert body_of(reader, "/dashboards/network")
    assert any("page cache" in record.getMessage() for record in caplog.records)


def test_a_store_that_cannot_be_opened_turns_reuse_off(fresh_app, caplog):
    app = fresh_app("page_cache_bad_url", PAGE_CACHE="redis://127.0.0.1:notaport/0")
    with app.app_context():
        make = Factory()
        make.expert(make.centre(), name="Ada Firstexpert")
        token = make.user(Role.COORDINATOR).session_token
    reader = signed_in(app, token)
    with caplog.at_level(logging.WARNING, logger="crm.core.cache"):
        for _ in range(2):
            assert b"Ada Firstexpert" in body_of(reader, "/experts")
    warnings = [r.getMessage() for r in caplog.records if "opening the store" in r.getMessage()]
    assert len(warnings) == 1 and "notaport" in warnings[0]
