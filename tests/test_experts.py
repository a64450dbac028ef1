"""The expert roster: the faceted search, the counts the reports quote, personal data and erasure."""

import io
import json
import re
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.centres.models import Centre
from crm.experts import queries
from crm.experts.models import Expert, ExpertCv, ExpertPool, ExpertTag, pool_memberships
from crm.extensions import db
from crm.seeding import SEEDS_DIR
from tests.statements import statements_of_page


@pytest.fixture
def seeded(make):
    """The demo centres and roster (only the domains this file needs)."""
    from crm.centres.seeds import seed as seed_centres
    from crm.experts.seeds import seed as seed_experts

    seed_centres(SEEDS_DIR)
    seed_experts(SEEDS_DIR)
    db.session.commit()
    return {c.code: c for c in db.session.scalars(sa.select(Centre))}


# --- brute force: the same search done in Python over the same rows -------------


def python_origin(expert: Expert) -> str:
    host = expert.centre.host_country
    if not host or not expert.nationality:
        return "undetermined"
    return "domestic" if expert.nationality == host else "foreign"


def python_values(expert: Expert) -> dict[str, set[str]]:
    return {
        "target": {str(t) for t in expert.targets},
        "theme": {t.lower() for t in expert.themes},
        "language": set(expert.languages),
        "country": {expert.nationality} if expert.nationality else set(),
        "origin": {python_origin(expert)},
        "availability": {expert.availability.value},
        "basis": {expert.engagement_basis.value},
        "vetting": {expert.vetting.value},
        "pool": {str(p.id) for p in expert.pools},
        "centre": {str(expert.centre_id)},
    }


def brute_force(search: queries.Search, centre_ids) -> tuple[list[Expert], dict[str, Counter]]:
    experts = db.session.scalars(sa.select(Expert).where(Expert.centre_id.in_(centre_ids))).all()
    hits = []
    for expert in experts:
        values = python_values(expert)
        text = " ".join([expert.name.lower(), expert.other_names.lower(), *values["theme"]])
        facets_match = all(not getattr(search, f) or values[f] & set(getattr(search, f)) for f in queries.FACETS)
        if facets_match and (not search.q or search.q.lower() in text):
            hits.append(expert)
    counts = {facet: Counter() for facet in queries.FACETS}
    for expert in hits:
        for facet, values in python_values(expert).items():
            counts[facet].update(values)
    return hits, counts


def link_for(html: str, label: str) -> str:
    """The href of the facet link whose label starts with ``label``."""
    pattern = r'<a href="([^"]+)"[^>]*><span>' + re.escape(label)
    match = re.search(pattern, html)
    assert match, f"no facet link {label!r}"
    return unescape(match.group(1))


# --- the counts the reports quote ----------------------------------------------


def test_roster_counts_match_the_seeds(seeded):
    nies, ca = seeded["TSCC-NIES"], seeded["TSCC-CA"]
    counts = queries.roster_counts(nies.id)
    assert counts.sentence() == "162 experts: 121 domestic, 41 foreign"
    assert counts.total > 160 and counts.domestic > 120 and counts.foreign > 40
    [pool] = counts.pools
    assert (pool.name, pool.sentence()) == ("CAST expert database", "162 experts: 121 domestic, 41 foreign")
    experts = db.session.scalars(sa.select(Expert).where(Expert.centre_id == nies.id)).all()
    assert counts.by_target == {n: sum(n in e.targets for e in experts) for n in range(1, 24)}

    ca_counts = queries.roster_counts(ca.id)
    # TSCC-CA has no host country on record: its consultants are neither domestic nor foreign.
    assert ca_counts.sentence() == "5 experts: 0 domestic, 0 foreign, 5 not determined"
    assert [p.name for p in ca_counts.pools] == ["consultants"]
    assert all(name.startswith("Demo ") for name in db.session.scalars(sa.select(Expert.name)))


def test_seeding_twice_adds_nothing(seeded):
    from crm.experts.seeds import seed

    before = db.session.scalar(sa.select(sa.func.count(Expert.id)))
    seed(SEEDS_DIR)
    assert db.session.scalar(sa.select(sa.func.count(Expert.id))) == before == 167


def test_counts_page_quotes_the_sentence(seeded, make, login, client):
    login(make.user(Role.COORDINATOR))
    html = client.get("/experts/counts").get_data(as_text=True)
    assert "162 experts: 121 domestic, 41 foreign" in html
    assert "5 experts: 0 domestic, 0 foreign, 5 not determined" in html


# --- the search -------------------------------------------------------------------


def test_nies_staff_find_vetted_foreign_russian_speakers_on_target_3_who_are_available(seeded, make, login, client):
    nies = seeded["TSCC-NIES"]
    staff = make.user(Role.STAFF, [nies])
    login(staff)
    url = "/experts"
    for label in ("Target 3 —", "Foreign", "Russian", "Vetted", "Available"):
        response = client.get(url)
        assert response.status_code == 200
        url = link_for(response.get_data(as_text=True), label)
    response = client.get(url)
    html = response.get_data(as_text=True)
    search = queries.Search(
        target=["3"], origin=["foreign"], language=["rus"], vetting=["vetted"], availability=["available"]
    )
    assert (
        queries.Search.from_args(
            __import__("werkzeug.datastructures").datastructures.MultiDict(re.findall(r"[?&]([^=&]+)=([^&]+)", url))
        )
        == search
    )
    hits, _ = brute_force(search, [nies.id])
    assert len(hits) >= 2, "the demo roster should give this search something to show"
    assert f"{len(hits)} experts found" in html
    for expert in hits:
        assert expert.name in html
    shown = set(re.findall(r"Demo expert \d{3}", html))
    assert shown == {e.name for e in hits}


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"target": ["3"]},
        {"target": ["3", "4"], "language": ["rus"]},
        {"origin": ["foreign"], "availability": ["available", "limited"]},
        {"q": "wetlands"},
        {"q": "demo expert 01", "vetting": ["vetted"]},
        {
            "target": ["3"],
            "origin": ["foreign"],
            "language": ["rus"],
            "vetting": ["vetted"],
            "availability": ["available"],
        },
    ],
)
def test_facet_counts_equal_a_brute_force_count(seeded, make, args):
    nies, ca = seeded["TSCC-NIES"], seeded["TSCC-CA"]
    pool = db.session.scalar(sa.select(ExpertPool).where(ExpertPool.centre_id == nies.id))
    search = queries.Search(**args)
    for user, centre_ids in (
        (make.user(Role.STAFF, [nies]), [nies.id]),
        (make.user(Role.COORDINATOR), [nies.id, ca.id]),
    ):
        total, counts = queries.facet_counts(search, user)
        hits, expected = brute_force(search, centre_ids)
        assert total == len(hits)
        for facet in queries.FACETS:
            assert counts.get(facet, {}) == dict(expected[facet]), facet
        # One-value facets add up to the number of experts found.
        for facet in ("origin", "availability", "basis", "vetting", "centre"):
            assert sum(counts.get(facet, {}).values()) == total
    assert str(pool.id) in queries.facet_counts(queries.Search(), make.user(Role.STAFF, [nies]))[1]["pool"]


def test_search_state_lives_in_the_url_and_bad_values_are_dropped():
    from werkzeug.datastructures import MultiDict

    args = MultiDict(
        [
            ("target", "3"),
            ("target", "99"),
            ("language", "RUS"),
            ("country", "kz"),
            ("origin", "alien"),
            ("q", "  a  b "),
        ]
    )
    search = queries.Search.from_args(args)
    assert search == queries.Search(q="a b", target=["3"], language=["rus"], country=["KZ"])
    assert search.toggled("target", "3") == {"q": "a b", "language": ["rus"], "country": ["KZ"]}
    assert search.toggled("target", "4")["target"] == ["3", "4"]


def test_search_pages_and_staff_see_only_their_centre(seeded, make, login, client):
    login(make.user(Role.STAFF, [seeded["TSCC-NIES"]]))
    html = client.get("/experts?page=7").get_data(as_text=True)
    assert "Page 7 of 7" in html and "Demo expert 151" in html
    assert "Demo consultant" not in client.get("/experts?q=demo").get_data(as_text=True)
    # A pool or centre of another centre named in the URL finds nothing rather than leaking.
    ca_pool = db.session.scalar(sa.select(ExpertPool).where(ExpertPool.centre_id == seeded["TSCC-CA"].id))
    assert "0 experts found" in client.get(f"/experts?pool={ca_pool.id}").get_data(as_text=True)


def test_search_page_runs_the_same_number_of_statements_for_10_and_100_experts(app, make, login, client):
    centre = make.centre()
    pools = [make.expert_pool(centre, name=f"Pool {i}") for i in range(3)]

    def add(n):
        for i in range(n):
            make.expert(
                centre,
                name=f"Person {i:03d}",
                nationality=["CN", "KZ", "RU"][i % 3],
                languages=["eng", "rus"][: 1 + i % 2],
                targets=[1 + i % 23, 3],
                themes=[f"theme {i % 7}"],
                pools=[pools[i % 3].id],
            )

    login(make.user(Role.STAFF, [centre]))
    add(10)
    url = "/experts?target=3&language=eng"
    small = statements_of_page(app, client, url)
    add(90)
    large = statements_of_page(app, client, url)
    assert small == large, (small, large)


# --- personal data ----------------------------------------------------------------


def pdf_upload(name="Jane Roe CV.pdf"):
    return {"cv": (io.BytesIO(b"%PDF-1.4 a CV"), name)}


def test_coordinators_see_expertise_and_counts_but_no_contact_details_or_cv(make, login, client):
    centre = make.centre()
    staff = make.user(Role.STAFF, [centre])
    pool = make.expert_pool(centre, name="consultants")
    expert = make.expert(
        centre,
        name="Jane Roe",
        nationality="CN",
        email="jane.roe@example.org",
        phone="+7 700 000 0000",
        targets=[3],
        pools=[pool.id],
    )
    login(staff)
    assert (
        client.post(f"/experts/{expert.id}/cv", data=pdf_upload(), content_type="multipart/form-data").status_code
        == 302
    )
    own = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "jane.roe@example.org" in own and "+7 700 000 0000" in own and "Jane Roe CV.pdf" in own
    download = client.get(f"/experts/{expert.id}/cv")
    assert download.data == b"%PDF-1.4 a CV"
    download.close()

    for role in (Role.COORDINATOR, Role.ADMIN):
        login(make.user(role))
        page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
        assert "Jane Roe" in page and "Target 3" in page and "consultants" in page
        assert "jane.roe@example.org" not in page and "+7 700" not in page and "CV.pdf" not in page
        assert client.get(f"/experts/{expert.id}/cv").status_code == 403
        listing = client.get("/experts").get_data(as_text=True)
        assert "Jane Roe" in listing and "jane.roe" not in listing
        assert "1 expert: 1 domestic, 0 foreign" in client.get("/experts/counts").get_data(as_text=True)


def test_cv_is_checked_by_content(make, login, client):
    centre = make.centre()
    expert = make.expert(centre)
    login(make.user(Role.STAFF, [centre]))
    response = client.post(
        f"/experts/{expert.id}/cv",
        data={"cv": (io.BytesIO(b"MZ not a pdf"), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Only PDF and Word" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ExpertCv.id))) == 0


def test_erasure_removes_personal_data_and_keeps_anonymous_history(app, make, login, client):
    centre = make.centre()
    pool = make.expert_pool(centre)
    expert = make.expert(
        centre,
        name="Ivan Example",
        other_names="Иван Пример",
        email="ivan@example.org",
        phone="+998 00 000",
        position="Senior researcher",
        targets=[3, 4],
        pools=[pool.id],
    )
    login(make.user(Role.STAFF, [centre]))
    client.post(f"/experts/{expert.id}/cv", data=pdf_upload("Ivan_Example_CV.pdf"), content_type="multipart/form-data")
    cv_path = Path(app.config["UPLOAD_FOLDER"]) / expert.cv.storage_key
    assert cv_path.exists()
    form = {
        "version": expert.version,
        "name": "Ivan Example",
        "other_names": "Иван Пример",
        "email": "ivan.new@example.org",
        "engagement_basis": "volunteer",
        "availability": "limited",
        "vetting": "vetted",
        "targets": ["3", "4"],
    }
    assert client.post(f"/experts/{expert.id}/edit", data=form).status_code == 302
    expert_id = expert.id
    assert queries.roster_counts(centre.id).total == 1

    assert client.get(f"/experts/{expert_id}/erase").status_code == 200
    assert client.post(f"/experts/{expert_id}/erase").status_code == 302
    db.session.expire_all()
    assert db.session.get(Expert, expert_id) is None
    assert not cv_path.exists()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(ExpertTag).where(ExpertTag.expert_id == expert_id))
        == 0
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(pool_memberships)) == 0
    counts = queries.roster_counts(centre.id)
    assert counts.total == 0 and counts.by_target[3] == 0

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity.in_(["experts", "expert_cvs"]))).all()
    assert {e.action for e in entries if e.entity == "experts"} == {"create", "update", "delete"}
    log = json.dumps([[e.label, e.changes] for e in entries], ensure_ascii=False)
    for personal in ("Ivan", "Иван", "ivan@", "ivan.new@", "+998", "Senior researcher", "Ivan_Example_CV"):
        assert personal not in log
    delete = next(e for e in entries if e.entity == "experts" and e.action == "delete")
    assert delete.changes["name"] == ["[erased]", None] and delete.changes["targets"][0] == [3, 4]


# --- bad input --------------------------------------------------------------------


def valid_form(**changes) -> dict:
    return {
        "name": "Ada Example",
        "email": "ada@example.org",
        "engagement_basis": "paid",
        "day_rate": "350",
        "day_rate_currency": "USD",
        "availability": "available",
        "vetting": "proposed",
        "languages": ["rus"],
        "nationality": "KZ",
        "targets": ["3"],
        "themes": "protected areas, Protected Areas, wetlands",
    } | changes


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"day_rate_currency": ""}, "Choose the currency of the day rate."),
        ({"day_rate_currency": "XYZ"}, "Not a valid choice."),
        ({"day_rate": "3.5.0"}, "“3.5.0” is not a number"),
        ({"engagement_basis": "volunteer"}, "A day rate applies to paid consultants only"),
        ({"languages": ["xx9"]}, "Unknown language code"),
        ({"nationality": "ZZ"}, "Unknown country code"),
        ({"residence_country": "QQ"}, "Unknown country code"),
        ({"targets": ["24"]}, "There is no KMGBF Target 24"),
        ({"email": "not-an-address"}, "Enter an e-mail address"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_written(make, login, client, changes, message):
    centre = make.centre()
    login(make.user(Role.STAFF, [centre]))
    audit_before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    response = client.post("/experts/new", data=valid_form(**changes))
    assert response.status_code == 422
    assert message in unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(Expert.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExpertTag)) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == audit_before


def test_a_valid_expert_is_saved_with_rmb_as_cny_and_themes_deduplicated(make, login, client):
    centre = make.centre()
    login(make.user(Role.STAFF, [centre]))
    response = client.post("/experts/new", data=valid_form(day_rate="1200.50", day_rate_currency="RMB"))
    assert response.status_code == 302
    expert = db.session.scalar(sa.select(Expert))
    assert (expert.day_rate_currency, str(expert.day_rate)) == ("CNY", "1200.5000")
    assert expert.themes == ["protected areas", "wetlands"]
    assert expert.origin.value == "foreign"


def test_a_duplicate_expert_is_refused(make, login, client):
    centre = make.centre()
    make.expert(centre, name="Ada Example", email="ADA@example.org")
    login(make.user(Role.STAFF, [centre]))
    response = client.post("/experts/new", data=valid_form(name="ada  example"))
    assert response.status_code == 422
    assert "already on this centre&#39;s roster" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Expert.id))) == 1
    # Another centre may list the same person.
    other = make.centre()
    login(make.user(Role.STAFF, [other]))
    assert client.post("/experts/new", data=valid_form()).status_code == 302


def test_editing_reindexes_the_search_and_a_stale_form_is_a_conflict(make, login, client):
    centre = make.centre()
    expert = make.expert(centre, targets=[3], languages=["rus"])
    login(make.user(Role.STAFF, [centre]))
    form = valid_form(name=expert.name, email=expert.email, version=expert.version, targets=["4"], languages=["eng"])
    assert client.post(f"/experts/{expert.id}/edit", data=form).status_code == 302
    tags = set(db.session.execute(sa.select(ExpertTag.facet, ExpertTag.value).where(ExpertTag.expert_id == expert.id)))
    assert tags == {("target", "4"), ("language", "eng"), ("theme", "protected areas"), ("theme", "wetlands")}
    assert client.post(f"/experts/{expert.id}/edit", data=form).status_code == 409


def test_engagements_are_recorded_and_refused_when_inconsistent(make, login, client):
    centre = make.centre()
    expert = make.expert(centre)
    login(make.user(Role.STAFF, [centre]))
    bad = {"activity": "Target 3 workshop", "started_on": "2026-02-06", "ended_on": "2026-02-03", "days_worked": "4"}
    response = client.post(f"/experts/{expert.id}/engagements", data=bad)
    assert response.status_code == 422 and "cannot end before it starts" in response.get_data(as_text=True)
    good = bad | {"started_on": "2026-02-03", "ended_on": "2026-02-06"}
    assert client.post(f"/experts/{expert.id}/engagements", data=good).status_code == 302
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert "Target 3 workshop" in page


def test_pools_are_per_centre_with_unique_names(make, login, client):
    centre = make.centre()
    login(make.user(Role.STAFF, [centre]))
    assert client.post("/experts/pools/new", data={"name": "consultants"}).status_code == 302
    response = client.post("/experts/pools/new", data={"name": "Consultants"})
    assert response.status_code == 422 and "already has a pool" in response.get_data(as_text=True)
    assert "0 experts: 0 domestic, 0 foreign" in client.get("/experts/pools").get_data(as_text=True)
