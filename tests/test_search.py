"""One search box across every register: folded like the directory, scoped like the lists, constant statements."""

import sqlalchemy as sa

from crm.auth.models import Role
from crm.extensions import db
from crm.search import index, queries
from crm.search.models import SearchEntry
from tests.statements import statements_of_page


def found(groups) -> dict[str, list[str]]:
    return {group.register: [hit.title for hit in group.hits] for group in groups if group.total}


def test_the_seeded_demo_finds_tsinghua_in_the_directory_its_partnership_and_what_names_it(make, seeded):
    staff = make.user(Role.STAFF, [seeded["TSCC-NIES"]])
    groups = found(queries.search("tsinghua", staff))
    assert "Tsinghua University" in groups["organisations"]
    assert "Tsinghua University" in groups["partnerships"]
    # Folded: case, a part of the word, the Chinese name.
    assert found(queries.search("TSINGH", staff)) == groups


def test_names_in_any_script_acronyms_and_accents_are_folded_as_the_directory_folds(app, make, staff):
    make.organisation(name="Institute of Zoology", acronym="IOZ", other_names=["中国科学院动物研究所"])
    make.organisation(name="Казахский национальный университет", acronym="КазНУ")
    make.organisation(name="Société Générale de Surveillance")
    assert found(queries.search("动物研究", staff))["organisations"] == ["Institute of Zoology (IOZ)"]
    assert found(queries.search("ioz", staff))["organisations"] == ["Institute of Zoology (IOZ)"]
    assert found(queries.search("КАЗАХСКИЙ университет", staff))["organisations"] == [
        "Казахский национальный университет (КазНУ)"
    ]
    assert found(queries.search("societe generale", staff))["organisations"] == ["Société Générale de Surveillance"]
    # Every word must match; wildcards typed are letters to find, never patterns.
    assert found(queries.search("zoology botany", staff)) == {}
    assert found(queries.search("%", staff)) == {}


def test_centre_scoping_applies_as_on_the_lists_and_experts_only_to_their_own_centres_staff(app, make, nies):
    other = make.centre(code="TSCC-CA", host_country="KZ")
    staff = make.user(Role.STAFF, [nies])
    coordinator = make.user(Role.COORDINATOR)
    funder = make.organisation(name="Global Biodiversity Framework Fund", acronym="GBFF")
    make.proposal(nies, funder=funder, title="Wetland restoration in Jiangsu")
    make.proposal(other, funder=funder, title="Wetland restoration in the Aral Sea basin")
    make.expert(nies, name="Wang Wetland")
    make.expert(other, name="Aigerim Wetland")

    mine = found(queries.search("wetland", staff))
    assert mine["proposals"] == ["Wetland restoration in Jiangsu"]
    assert mine["experts"] == ["Wang Wetland"]
    everyone = found(queries.search("wetland", coordinator))
    assert sorted(everyone["proposals"]) == [
        "Wetland restoration in Jiangsu",
        "Wetland restoration in the Aral Sea basin",
    ]
    # Experts' names are personal data: their own centre's staff only.
    assert "experts" not in everyone
    # The funder's name finds the proposals it funds; a centre narrows to its records.
    assert found(queries.search("gbff", coordinator, centre_id=other.id))["proposals"] == [
        "Wetland restoration in the Aral Sea basin"
    ]


def test_the_index_follows_every_change_in_the_same_flush_and_a_rebuild_gives_the_same_rows(app, make, nies, staff):
    organisation = make.organisation(name="Shan Shui Conservation Center")
    partnership = make.partnership(nies, organisation)
    from crm.partners.services import save_contact, save_organisation

    save_contact(partnership, None, {"name": "Lü Zhi", "email": "lz@example.org"})
    assert found(queries.search("lu zhi", staff))["contacts"] == ["Lü Zhi"]
    save_organisation(organisation, {"name": "山水自然保护中心", "type_id": organisation.type_id})
    groups = found(queries.search("山水", staff))
    assert groups["organisations"] == groups["partnerships"] == ["山水自然保护中心"]
    assert found(queries.search("shan shui", staff)) == {}

    def rows():
        columns = [c for c in SearchEntry.__table__.c if c.name != "id"]
        return sorted(db.session.execute(sa.select(*columns)).all(), key=repr)

    kept = rows()
    index.rebuild(db.session.connection())
    assert rows() == kept


def test_results_page_groups_by_register_with_counts_and_links_in_a_constant_number_of_statements(
    app, client, login, make, nies, staff
):
    login(staff)
    funder = make.organisation(name="Kunming Biodiversity Fund", acronym="KBF")
    make.partnership(nies, funder)
    make.proposal(nies, funder=funder, title="Kunming fund application")
    few = statements_of_page(app, client, "/search?q=kunming")
    page = client.get("/search?q=kunming").get_data(as_text=True)
    assert 'id="organisations"' in page and 'id="proposals"' in page and 'id="partnerships"' in page
    assert "Kunming fund application" in page and f'href="/organisations/{funder.id}"' in page
    for n in range(30):
        make.proposal(nies, funder=funder, title=f"Kunming proposal {n}")
    assert statements_of_page(app, client, "/search?q=kunming") == few
    assert "21 more" in client.get("/search?q=kunming").get_data(as_text=True)
    # Hostile or empty input: a page, never a 500.
    for q in ("", "%%%", "'; DROP TABLE x; --", "a" * 5000, "\u202e\u200b"):
        assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/search?q=kunming&centre=99999999999").status_code == 200


def test_the_rebuild_command_recomputes_the_index(app, make, staff):
    make.organisation(name="Kunming Botanical Garden")
    db.session.execute(sa.delete(SearchEntry))
    assert found(queries.search("kunming", staff)) == {}
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Search index rebuilt" in result.output
    assert found(queries.search("kunming", staff))["organisations"] == ["Kunming Botanical Garden"]
