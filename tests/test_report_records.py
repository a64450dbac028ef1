"""The records the section is drafted from, kept on their pages: a partnership's role, an agreement's report area,
a pool's status, a type's plural heading, the resource mobilisation strategy and the challenges. Bad input gets a
message beside its field and loses nothing."""

import html
import re

import pytest

from crm.agreements.models import ReportArea
from crm.auth.models import Role
from crm.experts.models import PoolStatus
from crm.extensions import db
from crm.funding.queries import strategy_of
from crm.partners.models import PartnershipRole
from crm.reports import services
from crm.reports.models import Challenge

HOSTILE = 'A & B <script>alert(1)</script> "quoted" Региональный 南京'


@pytest.fixture
def world(make):
    centre = make.centre(code="TSCC-RC", short_name="TSCC RC")
    make.period(centre)
    return centre, make.user(Role.STAFF, [centre])


def test_a_partnership_is_recorded_as_the_convention_body_on_its_form(world, make, login, client):
    centre, staff = world
    partnership = make.partnership(centre, make.organisation(name="Secretariat of the CBD"))
    login(staff)
    form = client.get(f"/partnerships/{partnership.id}/edit").get_data(as_text=True)
    assert "Role for the centre" in form and "not counted among the partners developed" in form
    data = {"version": partnership.version, "stage": "active", "role": "convention_body"}
    assert client.post(f"/partnerships/{partnership.id}/edit", data=data).status_code == 302
    db.session.refresh(partnership)
    assert partnership.role == PartnershipRole.CONVENTION_BODY
    listed = client.get(f"/partnerships?centre={centre.code}&stage=engaged&role=partner").get_data(as_text=True)
    assert 'data-count="0"' in listed
    bad = client.post(f"/partnerships/{partnership.id}/edit", data=data | {"version": partnership.version, "role": "x"})
    assert bad.status_code == 422


def test_an_agreement_is_placed_in_an_area_of_the_report(world, make, login, client):
    centre, staff = world
    agreement = make.agreement(centre, kind="memorandum_of_agreement", title="MoA with the Secretariat")
    assert agreement.area == ReportArea.OPERATIONALIZATION
    login(staff)
    data = {
        "version": agreement.version,
        "kind": "memorandum_of_agreement",
        "title": agreement.title,
        "report_area": "partnerships",
    }
    assert client.post(f"/agreements/{agreement.id}/edit", data=data).status_code == 302
    db.session.refresh(agreement)
    assert agreement.area == ReportArea.PARTNERSHIPS
    listed = client.get(f"/agreements?centre={centre.code}&area=partnerships").get_data(as_text=True)
    assert "MoA with the Secretariat" in listed and "3. Partnership development" in client.get(
        f"/agreements/{agreement.id}"
    ).get_data(as_text=True)


def test_a_pool_carries_its_status_and_a_type_its_plural_heading(world, make, login, client):
    centre, staff = world
    login(staff)
    response = client.post("/experts/pools/new", data={"name": "consultants", "status": "candidates"})
    assert response.status_code == 302
    from crm.experts.models import ExpertPool

    pool = db.session.query(ExpertPool).filter_by(centre_id=centre.id).one()
    assert pool.status == PoolStatus.CANDIDATES
    assert "List of possible experts or consultants" in client.get("/experts/pools").get_data(as_text=True)
    kind = make.organisation_type(name="Think tank", code="think")
    admin = make.user(Role.ADMIN)
    login(admin)
    data = {"version": kind.version, "plural_name": "Think tanks"}
    assert client.post(f"/organisations/types/{kind.id}/heading", data=data).status_code == 302
    db.session.refresh(kind)
    assert kind.heading == "Think tanks"
    too_long = {"version": kind.version, "plural_name": "Think tanks " * 20}
    refused = client.post(f"/organisations/types/{kind.id}/heading", data=too_long)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'id="heading-{kind.id}-error">Field cannot be longer than 120' in page
    assert 'value="Think tanks Think tanks' in page
    db.session.refresh(kind)
    assert kind.heading == "Think tanks"


def strategy_form(**changes) -> dict:
    data = {
        "status": "in_development",
        "sources-0-label": "regional funds",
        "sources-0-categories": ["multilateral"],
        "sources-1-label": "",
        "steps-0-action": "apply for the Special Fund for Asian Regional Cooperation",
        "steps-0-source": "",
        "steps-0-due": "2026-12",
        "steps-1-action": "",
    }
    return data | changes


def test_the_strategy_is_recorded_on_its_page_and_bad_input_is_refused_beside_its_field(world, login, client, make):
    centre, staff = world
    login(staff)
    url = f"/resources/strategy/{centre.id}"
    assert "Record the strategy" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data=strategy_form(adopted="2026-03"))
    assert refused.status_code == 422
    assert "Only an adopted strategy has a date of adoption" in html.unescape(refused.get_data(as_text=True))
    assert client.post(url, data=strategy_form(**{"steps-0-due": "31 Febtember"})).status_code == 422
    assert strategy_of(centre.id) is None, "nothing saved from a refused form"
    assert client.post(url, data=strategy_form(**{"sources-0-label": HOSTILE})).status_code == 302
    strategy = strategy_of(centre.id)
    assert [s.label for s in strategy.sources] == [HOSTILE] and strategy.steps[0].due.iso == "2026-12"
    page = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    # The step names its source once the source exists; a step naming a source the strategy lacks is refused.
    edit = strategy_form(
        version=strategy.version,
        **{
            "sources-0-id": strategy.sources[0].id,
            "sources-0-label": "regional funds",
            "steps-0-id": strategy.steps[0].id,
            "steps-0-source": "regional funds",
        },
    )
    assert client.post(url, data=edit).status_code == 302
    db.session.refresh(strategy)
    assert strategy.steps[0].source.label == "regional funds"
    stale = client.post(url, data=edit)
    assert stale.status_code == 409
    coordinator = make.user(Role.COORDINATOR)
    login(coordinator)
    assert "regional funds" in client.get(url).get_data(as_text=True)
    assert client.post(url, data=edit).status_code == 403


def test_challenges_are_recorded_by_staff_with_their_possible_solution(world, login, client, make):
    centre, staff = world
    login(staff)
    data = {"area": "resource_mobilization", "challenge": "", "solution": "", "noted": "2026-03"}
    refused = client.post("/reports/challenges/new", data=data)
    assert refused.status_code == 422 and "Say what the challenge is" in refused.get_data(as_text=True)
    data |= {"challenge": HOSTILE, "resolved": "2025-01"}
    refused = client.post("/reports/challenges/new", data=data)
    assert refused.status_code == 422 and "cannot be resolved before it was noted" in refused.get_data(as_text=True)
    data |= {"resolved": "", "solution": "Apply jointly with partners."}
    assert client.post("/reports/challenges/new", data=data).status_code == 302
    challenge = db.session.query(Challenge).filter_by(centre_id=centre.id).one()
    assert challenge.recorded_by_id == staff.id
    listed = client.get("/reports/challenges").get_data(as_text=True)
    assert "&lt;script&gt;" in listed and "<script>alert" not in listed
    other = make.user(Role.STAFF, [make.centre()])
    login(other)
    assert client.get(f"/reports/challenges/{challenge.id}/edit").status_code == 404
    login(staff)
    deleted = client.post(f"/reports/challenges/{challenge.id}/delete", data={"version": challenge.version})
    assert deleted.status_code == 302 and db.session.get(Challenge, challenge.id) is None


def test_the_preview_numbers_each_drafted_sentence_with_the_records_it_rests_on(world, login, client, make):
    centre, staff = world
    make.partnership(centre, make.organisation(name="Tsinghua University"), stage="contacted")
    section = services.start_section(centre, centre.periods[0])
    row = section.outputs[0]
    services.write_row(row, services.rebase(services.row_text(row), "Our own opening sentence. " + row.details))
    db.session.commit()
    login(staff)
    page = client.get(f"/reports/sections/{section.id}").get_data(as_text=True)
    cell = page.split("Partnerships developed")[1].split("</td>", 2)[1]
    assert "Our own opening sentence. " in cell
    assert re.search(
        r'TSCC RC</span> has initiated engagement with <span class="drafted">Tsinghua University</span>\.'
        r'<sup class="source-mark"><a href="#row1-1"',
        cell,
    )
    notes = re.search(r'<ol class="sources".*?</ol>', cell, re.S).group(0)
    assert 'id="row1-1"' in notes and "Tsinghua University</a>" in notes
    assert notes.count("<li") == 1, "the sentence staff wrote rests on no record"
