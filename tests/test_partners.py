"""Partners: directory with duplicate warnings, partnerships, contacts, interactions, overlap, lists."""

from datetime import date

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.core.kmgbf import TARGETS, check_targets
from crm.extensions import db
from crm.partners.models import Interaction, Organisation, Partnership, Stage
from crm.partners.services import fold, likely_duplicates
from tests.statements import statements_of_page

NIES_PARTNERS = [
    "CBD Secretariat",
    "UNDP China",
    "UNESCO MAB",
    "UNEP-IEMP",
    "Tsinghua University",
    "Institute of Zoology",
    "Chengdu Institute of Biology",
    "Wuhan Botanical Garden",
    "Kunming Botanical Garden",
    "South China Botanical Garden",
    "Foreign Economic Cooperation Office",
    "Sino-Africa Joint Research Center",
    "Research Center for Ecology and Environment of Central Asia",
    "Shan Shui Conservation Center",
    "SEE Conservation",
    "GIZ",
    "CSES",
    "ACCA21",
]


def test_kmgbf_targets_have_the_official_short_titles():
    assert len(TARGETS) == 23
    assert TARGETS[3] == "Conserve 30% of Land, Waters and Seas"
    assert TARGETS[2] == "Restore 30% of all Degraded Ecosystems"
    assert TARGETS[13].endswith("Digital Sequence Information and Traditional Knowledge")
    assert TARGETS[19].endswith("Including $30 Billion Through International Finance")
    assert check_targets(["20", 3, "3"]) == [3, 20]
    with pytest.raises(ValueError, match="1 to 23"):
        check_targets(["24"])


def test_folding_ignores_case_accents_punctuation_and_common_words():
    assert fold("The Institute of Zoology, C.A.S.") == fold("institute zoology c a s")
    assert fold("Société Générale") == fold("societe generale")
    assert fold("中国科学院动物研究所。") == "中国科学院动物研究所"


def test_duplicate_found_by_acronym_folded_name_or_other_script(app, make):
    existing = make.organisation(name="Institute of Zoology", acronym="IOZ", other_names=["中国科学院动物研究所"])
    assert likely_duplicates("Completely different", [], "ioz") == [existing]
    assert likely_duplicates("The institute of ZOOLOGY.", [], "") == [existing]
    assert likely_duplicates("Zoology Institute CAS", ["中国科学院动物研究所"], "") == [existing]
    assert likely_duplicates("Institute of Botany", [], "IB") == []


def test_creating_a_likely_duplicate_warns_and_offers_the_existing_one(client, login, make):
    centre = make.centre()
    kind = make.organisation_type()
    existing = make.organisation(name="Shan Shui Conservation Center", type=kind)
    login(make.user(Role.STAFF, [centre]))
    form = {"name": "the Shan-Shui conservation center", "type_id": kind.id}
    response = client.post("/organisations/new", data=form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Already in the directory?" in body and f"/organisations/{existing.id}" in body
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1
    response = client.post("/organisations/new", data=form | {"create_anyway": "y"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 2


def test_bad_website_is_refused_beside_the_field(client, login, make):
    kind = make.organisation_type()
    login(make.user(Role.STAFF, [make.centre()]))
    response = client.post("/organisations/new", data={"name": "X", "type_id": kind.id, "website": "not a url"})
    assert response.status_code == 422
    assert "Enter a web address such as www.cbd.int" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_admin_extends_the_types(client, login, make):
    login(make.user(Role.ADMIN))
    assert client.post("/organisations/types", data={"name": "Academy network"}).status_code == 302
    assert "Academy network" in client.get("/organisations/types").get_data(as_text=True)
    assert client.post("/organisations/types", data={"name": "academy NETWORK"}).status_code == 422


def test_nies_staff_finds_every_partner_its_report_names(client, login, make, seeded):
    nies = seeded["TSCC-NIES"]
    login(make.user(Role.STAFF, [nies]))
    body = client.get("/partnerships?page=1").get_data(as_text=True)
    page_two = client.get("/partnerships?page=2").get_data(as_text=True)
    for name in NIES_PARTNERS:
        assert name in body + page_two, name
    assert "RECCA" not in body + page_two
    rows = db.session.scalars(sa.select(Partnership).where(Partnership.centre_id == nies.id)).all()
    types = {p.organisation.acronym or p.organisation.name: p.organisation.type.code for p in rows}
    assert types["UNEP-IEMP"] == "un_international" and types["SEE Conservation"] == "ngo"
    assert types["FECO"] == "cooperation_platform" and types["Tsinghua University"] == "research"
    assert {p.organisation.acronym: p.stage for p in rows}["ACCA21"] == Stage.IN_DISCUSSION
    # The 14 institutions of the report's "Partnerships development" output, plus the four named elsewhere.
    assert len(rows) == 18


def test_searching_and_filtering_partnerships(client, login, make, seeded):
    login(make.user(Role.STAFF, [seeded["TSCC-NIES"]]))
    body = client.get("/partnerships?q=zoology").get_data(as_text=True)
    assert "Institute of Zoology" in body and "Tsinghua" not in body
    body = client.get("/partnerships?type=ngo").get_data(as_text=True)
    assert "Shan Shui" in body and "UNDP" not in body
    body = client.get("/partnerships?stage=in_discussion").get_data(as_text=True)
    assert "Agenda 21" in body and "GIZ" not in body
    assert client.get("/partnerships?sort=-stage&stage=bogus&target=x").status_code == 200


def test_partner_page_logs_an_interaction_into_the_audit_history(client, login, make):
    centre = make.centre()
    partnership = make.partnership(centre, make.organisation(name="UNESCO MAB"))
    login(make.user(Role.STAFF, [centre]))
    response = client.post(
        f"/partnerships/{partnership.id}/interactions",
        data={
            "occurred_on": "2025-09-15",
            "kind": "event",
            "summary": "Met at the 5th World Congress of Biosphere Reserves",
        },  # noqa: E501
    )
    assert response.status_code == 302
    body = client.get(f"/partnerships/{partnership.id}").get_data(as_text=True)
    assert "5th World Congress" in body and "15 September 2025" in body
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "interactions"))
    assert entry.action == "create" and entry.centre_id == centre.id


def test_bad_contact_and_interaction_input_changes_nothing(client, login, make):
    centre = make.centre()
    partnership = make.partnership(centre)
    login(make.user(Role.STAFF, [centre]))
    response = client.post(f"/partnerships/{partnership.id}/contacts", data={"name": "A", "email": "not-an-email"})
    assert response.status_code == 422 and "e-mail address" in response.get_data(as_text=True)
    response = client.post(
        f"/partnerships/{partnership.id}/interactions",
        data={"occurred_on": "2025-02-30", "kind": "call", "summary": "x"},
    )
    assert response.status_code == 422 and "YYYY-MM-DD" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Partnership, partnership.id).contacts == []
    assert db.session.scalar(sa.select(sa.func.count(Interaction.id))) == 0


def test_editing_a_partnership_keeps_targets_and_is_audited(client, login, make):
    centre = make.centre()
    partnership = make.partnership(centre)
    login(make.user(Role.STAFF, [centre]))
    data = {"stage": "active", "targets": ["3", "20"], "next_step_on": "2025-01-01", "next_step": "Call", "version": 1}
    assert client.post(f"/partnerships/{partnership.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    partnership = db.session.get(Partnership, partnership.id)
    assert partnership.targets == [3, 20] and partnership.is_overdue(date.today())
    assert "Conserve 30% of Land, Waters and Seas" in client.get(f"/partnerships/{partnership.id}").get_data(
        as_text=True
    )  # noqa: E501
    assert "Call" in client.get("/agreements/work").get_data(as_text=True)
    assert client.get("/partnerships?target=3").get_data(as_text=True).count(f"/partnerships/{partnership.id}") == 1
    stale = data | {"stage": "closed"}
    assert client.post(f"/partnerships/{partnership.id}/edit", data=stale).status_code == 409


def test_ca_staff_cannot_reach_nies_partners(client, login, make, seeded):
    nies_partnership = db.session.scalar(sa.select(Partnership).where(Partnership.centre_id == seeded["TSCC-NIES"].id))
    login(make.user(Role.STAFF, [seeded["TSCC-CA"]]))
    assert client.get(f"/partnerships/{nies_partnership.id}").status_code == 404
    assert client.get(f"/partnerships/{nies_partnership.id}/edit").status_code == 404
    assert client.get("/network/partners").status_code == 403
    body = client.get("/partnerships?q=Tsinghua").get_data(as_text=True)
    assert "Tsinghua University" not in body and "No partnership matches" in body


def test_coordinator_sees_the_overlap_across_centres(client, login, make, seeded):
    login(make.user(Role.COORDINATOR))
    body = client.get("/network/partners").get_data(as_text=True)
    assert "RECCA" in body and "CBD Secretariat" in body
    cbd_row = next(row for row in body.split("<tr") if "CBD Secretariat" in row)
    assert "TSCC-CA" in cbd_row and "TSCC-NIES" in cbd_row and ">2<" in cbd_row
    shared = client.get("/network/partners?centre=shared").get_data(as_text=True)
    assert "CBD Secretariat" in shared and "RECCA" not in shared


@pytest.mark.parametrize("url", ["/partnerships", "/organisations", "/contacts", "/network/partners", "/agreements"])
def test_list_pages_issue_a_constant_number_of_statements(app, client, login, make, url):
    from crm.partners.services import save_contact

    centre = make.centre()
    kind = make.organisation_type()
    user = make.user(Role.ADMIN)
    login(user)

    def grow_to(n):
        while db.session.scalar(sa.select(sa.func.count(Partnership.id))) < n:
            partnership = make.partnership(centre, make.organisation(type=kind), targets=["3"])
            save_contact(partnership, None, {"name": "Someone"})
            make.agreement(centre, counterparts=[partnership.organisation])
        db.session.commit()

    grow_to(5)
    small = statements_of_page(app, client, url)
    grow_to(50)
    assert statements_of_page(app, client, url) == small
