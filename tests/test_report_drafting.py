"""The drafter's counting rules, each the one the lists apply, and its English: what counts as a partner developed,
which agreements belong to area 3, what "in the pipeline" means, the strategy and pools as recorded, and the
rules of the reports' prose."""

import re
from datetime import date

import pytest

from crm.auth.models import Role
from crm.core.partial_dates import PartialDate
from crm.experts.services import save_pool
from crm.extensions import db
from crm.reports import drafting, prose, services
from tests.factories import EARLY, section_form


@pytest.fixture
def centre(make):
    centre = make.centre(code="TSCC-DR", short_name="TSCC DR", reporting_currency="CNY")
    make.period(centre)
    return centre


def draft(centre):
    return drafting.draft(centre, centre.periods[0])


def figure(row, label: str) -> str:
    return next(f.value for f in row.figures if f.label == label)


def test_the_convention_body_and_the_host_institution_are_not_partners_developed(make, centre, login, client):
    cbd = make.organisation(name="Secretariat of the Convention on Biological Diversity", acronym="CBD Secretariat")
    host = make.organisation(name="Nanjing Institute of Environmental Sciences", acronym="NIES")
    make.partnership(centre, cbd, stage="active", role="convention_body")
    make.partnership(centre, host, stage="active", role="host_institution")
    make.partnership(centre, make.organisation(name="Tsinghua University"), stage="contacted")
    row = draft(centre).rows["partnerships"]
    assert figure(row, "Partners developed") == "1"
    assert "Tsinghua University" in row.details
    assert "CBD Secretariat" not in row.details and "NIES" not in row.details
    # The figure's list counts the same.
    login(make.user(Role.STAFF, [centre]))
    ref = next(f for f in row.figures if f.label == "Partners developed")
    listed = client.get("/partnerships", query_string=ref.args).get_data(as_text=True)
    assert re.search(r'data-count="(\d+)"', listed).group(1) == "1"


def test_area_1_agreements_stay_out_of_area_3_unless_staff_place_them_there(make, centre):
    recca = make.organisation(name="Regional Environmental Centre for Central Asia", acronym="RECCA")
    host = make.agreement(centre, kind="host_agreement", title="Host Agreement", status="signed", since="2026-02-17")
    make.agreement(centre, [recca], kind="cooperation_agreement", title="RECCA", status="under_negotiation")
    row = draft(centre).rows["partnerships"]
    assert "Host Agreement" not in row.details and "host agreement" not in row.details
    assert row.details == (
        "A draft cooperation agreement with the Regional Environmental Centre for Central Asia (RECCA) has been "
        "under negotiation since May 2025."
    )
    assert figure(row, "Agreements") == "1"
    host.report_area = "partnerships"
    db.session.commit()
    placed = draft(centre).rows["partnerships"].details
    assert "The host agreement was signed on 17 February 2026." in placed


def test_in_the_pipeline_means_open_proposals(make, centre):
    funder = make.organisation(name="Global Biodiversity Framework Fund", acronym="GBFF")
    for status in ("idea", "in_preparation", "submitted", "under_review", "approved", "rejected", "withdrawn"):
        make.proposal(centre, funder, title=f"A {status} proposal", status=status)
    row = draft(centre).rows["proposals"]
    assert figure(row, "Proposals in the pipeline (not yet decided)") == "4"
    assert figure(row, "Proposals in preparation") == "2"


def test_the_strategy_row_is_drafted_from_the_strategy_record(make, centre):
    assert draft(centre).rows["strategy"].details == "A resource mobilization strategy has not been developed yet."
    make.strategy(
        centre,
        sources=[
            {"label": "the host institution", "categories": ["host_institution"]},
            {"label": "regional funds", "categories": ["multilateral"]},
        ],
        steps=[
            {
                "action": "apply for the Special Fund for Asian Regional Cooperation",
                "source": "regional funds",
                "due": PartialDate(date(2026, 12, 1), "month"),
            },
            {
                "action": "agree a budget line",
                "source": "the host institution",
                "done": PartialDate(date(2026, 3, 1), "month"),
            },
        ],
    )
    row = draft(centre).rows["strategy"]
    assert row.suggested_status == "in_progress"
    assert row.details == (
        "A resource mobilization strategy is being developed to diversify funding sources, including institutional "
        "and multilateral contributions. To build sustainable resource support, TSCC DR will draw on resources from "
        "the host institution and regional funds. As for regional funds, TSCC DR will apply for the Special Fund for "
        "Asian Regional Cooperation by December 2026. TSCC DR set out to agree a budget line; this was done in "
        "March 2026."
    )


def test_a_list_of_possible_consultants_is_not_called_an_established_pool(make, centre):
    candidates = save_pool(None, centre.id, "consultants", "", "candidates")
    for n in range(3):
        make.expert(centre, name=f"Consultant {n}", pools=[candidates.id], listed=EARLY)
    drafted = draft(centre)
    assert "An initial list of 3 possible consultants has been determined." in drafted.rows["resources"].details
    assert drafted.rows["additional"].details == "No expert pool has been established yet."
    assert "expert pool" not in drafted.key_figures.text
    established = save_pool(None, centre.id, "Expert database", "", "established")
    make.expert(centre, name="Expert A", pools=[established.id], nationality="CN", listed=EARLY)
    again = draft(centre)
    assert "has established an expert pool, the Expert database, which covers 1 expert: 1 from China" in (
        again.rows["additional"].details
    )


def test_challenges_and_solutions_come_only_from_those_recorded_in_the_period(make, centre):
    assert draft(centre).challenges.text == ""
    make.challenge(
        centre,
        challenge="Funding channels are narrow.",
        solution="Apply with Served Parties.",
        area="resource_mobilization",
    )
    make.challenge(centre, challenge="Gone before the period.", resolved=PartialDate(date(2024, 6, 1), "month"))
    drafted = draft(centre)
    assert drafted.challenges.text == "1. In terms of resource mobilization, funding channels are narrow."
    assert drafted.solutions.text == "1. In terms of resource mobilization, apply with Served Parties."


def test_rows_staff_hide_are_neither_drafted_nor_printed_and_names_are_given_in_full_where_first_shown(
    make, centre, login, client
):
    cast = make.organisation(name="China Association for Science and Technology", acronym="CAST")
    make.proposal(centre, cast, title="Scientists' programme", status="submitted", status_on=date(2025, 6, 1))
    make.ledger_entry(centre, source_id=cast.id, category="other", purpose_detail="Scientists' programme")
    section = services.start_section(centre, centre.periods[0])
    db.session.commit()
    rows = {row.key: row for row in section.outputs}
    assert "the China Association for Science and Technology (CAST)" in rows["proposals"].details
    assert "from CAST" in rows["resources"].details or "CAST has committed" in rows["resources"].details
    login(make.user(Role.STAFF, [centre]))
    order = {"resources": 1, "proposals": 2, "partnerships": 3, "strategy": 4, "additional": 5}
    changes = {}
    for n, row in enumerate(section.outputs):
        changes[f"outputs-{n}-position"] = order[row.key]
        changes |= {f"outputs-{n}-hidden": "y"} if row.key == "strategy" else {}
        changes |= {f"outputs-{n}-title": "Partnerships development"} if row.key == "partnerships" else {}
    data = {k: v for k, v in section_form(section).items() if not k.endswith("-hidden")} | changes
    assert client.post(f"/reports/sections/{section.id}/edit", data=data).status_code == 302
    db.session.refresh(section)
    shown = services.section_data(section)
    assert [o.title for o in shown.outputs] == [
        "Resources mobilized",
        "Project proposals submitted",
        "Partnerships development",
        "Additional result(s)",
    ]
    # Resources now come first: a redraft offers CAST's full name there and its acronym in the proposals row.
    offered = {c.after for f in services.redraft_changes(section).fields for c in f.changes if c.kind == "update"}
    assert "The China Association for Science and Technology (CAST)" in offered
    assert any(text.startswith("to CAST, ") for text in offered)
    assert "strategy" not in drafting.draft(centre, centre.periods[0], order=["resources", "proposals"]).rows


def test_prose_rules():
    assert prose.number(5, opening=True) == "Five" and prose.number(5) == "5" and prose.number(14, opening=True) == "14"
    assert prose.joined(["A", "B", "C"]) == "A, B and C"
    assert prose.joined(["Chengdu Institute of Biology, CAS", "Tsinghua University"]) == (
        "Chengdu Institute of Biology, CAS; and Tsinghua University"
    )
    assert prose.joined(["RMB 500,000 for A", "RMB 400,000 for B"]) == "RMB 500,000 for A and RMB 400,000 for B"
    assert prose.joined(["UN and other bodies", "NGOs", "funders"]) == "UN and other bodies, NGOs, and funders"
    assert prose.in_sentence("Daily operation of TSCC NIES") == "daily operation of TSCC NIES"
    assert prose.in_sentence("First Steering Committee meeting") == "first Steering Committee meeting"
    assert prose.in_sentence("Kunming Biodiversity Fund workshop") == "Kunming Biodiversity Fund workshop"
    assert prose.with_the("daily operation of TSCC NIES") == "the daily operation of TSCC NIES"
    assert prose.with_the("2025 Program of the CAST") == "the 2025 Program of the CAST"
    assert prose.with_the("two CCICED projects") == "two CCICED projects"
    assert prose.named("China Association for Science and Technology (CAST)").startswith("the China")
    assert prose.named("Tsinghua University") == "Tsinghua University" and prose.named("NIES") == "NIES"
    assert prose.heading_in_sentence("Research institutes and universities") == "research institutes and universities"
    assert prose.heading_in_sentence("UN and international bodies") == "UN and international bodies"
