"""The sections drafted from the demo seeds, read beside area 3 of the two centres' own reports (../shared/reports):
NIES's rows carry the facts of its real rows in its own register; TSCC-CA's draft claims nothing its report does
not."""

import re
from decimal import Decimal

from crm.centres.services import centre_by_code
from crm.reports import services

# Internal vocabulary and claims the issue found in the old drafts: none may come back.
NEVER = (
    "By stage",
    "since April 2026",
    "financial or in-kind contribution",
    "provided for)",
    "UN or international body:",
    "Research institute or university:",
    "0 project proposals",
    "0 domestic",
    "not determined",
    "review cycles",
    "Funding relies on the host institution",
    "Pools:",
)


def drafted(code: str):
    centre = centre_by_code(code)
    period = next(p for p in centre.periods if p.label == "2025-2026")
    return services.section_data(services.start_section(centre, period))


def figure(section, label: str) -> str:
    return next(f.value for f in section.key_figure_list if f.label == label)


def all_text(section) -> str:
    texts = [section.outcome, section.key_figures, *(t for _, _, t in section.narrative.parts())]
    return "\n".join(texts + [output.details for output in section.outputs])


def test_the_nies_rows_carry_the_facts_of_its_report_in_its_register(seeded):
    section = drafted("TSCC-NIES")
    rows = {row.key: row.details for row in section.outputs}
    partners = rows["partnerships"]
    # Engaging at least 14 institutions; the CBD Secretariat, its convention body, is not one of them.
    assert partners.startswith("TSCC NIES has initiated engagement with 17 partners. These include UN and ")
    assert "United Nations Development Programme China Office (UNDP China)" in partners
    assert (
        "Research institutes and universities: Chengdu Institute of Biology, Chinese Academy of Sciences; " in partners
    )
    assert "NGOs and civil society organizations: Alxa Society of Entrepreneurs and Ecology Conservation " in partners
    assert "CBD Secretariat" not in partners and "Memorandum" not in partners
    proposals = rows["proposals"]
    assert proposals.startswith("Five project proposals have been submitted: to ")
    assert "to the China Council for International Cooperation on Environment and Development (CCICED), " in proposals
    assert "Three of them have been funded, by CAST and CCICED. The other two await a decision." in proposals
    assert proposals.endswith(
        "Two more proposals are in preparation, targeting the Global Biodiversity Framework Fund (GBFF) and the "
        "Kunming Biodiversity Fund (KBF)."
    )
    resources = rows["resources"]
    assert (
        "The Nanjing Institute of Environmental Sciences (NIES) has committed RMB 500,000 for the daily operation of "
        "TSCC NIES and RMB 400,000 for the first Steering Committee meeting and international cooperation workshop."
    ) in resources
    assert "Funding has been secured for 3 projects: RMB 50,000 from CAST for the 2025 Program of the CAST" in resources
    assert "In the form of in-kind contributions, NIES has provided office space, office equipment" in resources
    assert (
        "7 interns recruited through Tsinghua University's Global Leadership Program have been mobilized" in resources
    )
    strategy = rows["strategy"]
    assert strategy.startswith(
        "A resource mobilization strategy is being developed to diversify funding sources, including institutional, "
        "bilateral, multilateral, government and private sector contributions."
    )
    assert "As for NIES, TSCC NIES will incorporate the basic operational funds of TSCC NIES" in strategy
    assert "the German Agency for International Cooperation (GIZ)" in strategy
    assert rows["additional"] == (
        "TSCC NIES has established an expert pool, the CAST expert database, which covers 162 experts: 121 from "
        "China and 41 from other countries."
    )
    assert section.narrative.challenges.startswith(
        "1. In terms of partnership building, cooperation models still need further exploration"
    )
    assert section.narrative.solutions.startswith(
        "1. In terms of partnership building, it is necessary to further deepen substantive cooperation"
    )
    assert all(row.status == "in_progress" for row in section.outputs)
    text = all_text(section)
    assert not [phrase for phrase in NEVER if phrase in text]
    # Nothing opens with a figure below ten; a name is given in full once, then by its acronym.
    assert not re.search(r"(^|[.!?]\s)[0-9]\s", text)
    assert text.count("China Association for Science and Technology (CAST)") == 1


def test_the_nies_part_iii_figures_are_the_reports(seeded):
    section = drafted("TSCC-NIES")
    assert int(figure(section, "Partners developed")) >= 14
    assert figure(section, "Proposals submitted") == "5"
    assert figure(section, "Proposals funded") == "3"
    assert figure(section, "Institutional support").startswith("RMB 900,000")
    assert figure(section, "Project funding").startswith("RMB 250,000")
    assert int(figure(section, "Experts in CAST expert database")) > 160
    assert "the mobilization of RMB 900,000 (≈ USD" in section.key_figures
    assert "in institutional support and RMB 250,000" in section.key_figures
    # The annex cites both ECB rates the conversion went through: 1 EUR = ... CNY (divided by), 1 EUR = ... USD.
    assert [(r.base, r.quote) for r in section.rates_used] == [("EUR", "CNY"), ("EUR", "USD")]
    assert all(Decimal(r.rate) > 0 for r in section.rates_used)


def test_the_central_asia_draft_claims_nothing_its_report_does_not(seeded):
    section = drafted("TSCC-CA")
    rows = {row.key: row for row in section.outputs}
    assert "additional" not in rows, "no expert pool: the row is left out, as in the report"
    assert rows["partnerships"].details == (
        "A draft cooperation agreement with the Regional Environmental Centre for Central Asia (RECCA) has been under "
        "negotiation since 2026."
    )
    assert rows["proposals"].details == "No project proposals have been submitted yet."
    assert rows["proposals"].status == "not_started"
    assert rows["resources"].details == (
        "No resources have been mobilized yet. An initial list of 5 possible consultants has been determined. "
        "Financial resources are still required for consultants for the TSCC's work."
    )
    assert rows["strategy"].details == (
        "TSCC-CA will implement a number of activities within the framework of existing and new projects of IUCN "
        "under the TSCC brand."
    )
    text = all_text(section)
    for claim in (
        *NEVER,
        "expert pool",
        "Served Parties",
        "cooperation intentions",
        "CBD Secretariat",
        "Host Agreement",
    ):
        assert claim not in text, claim
    assert section.narrative.worked_well == section.narrative.challenges == section.narrative.solutions == ""
