"""The sections drafted from the demo seeds carry the figures of the two centres' own reports."""

from decimal import Decimal

from crm.centres.services import centre_by_code
from crm.reports import services


def drafted(code: str):
    centre = centre_by_code(code)
    period = next(p for p in centre.periods if p.label == "2025-2026")
    return services.section_data(services.start_section(centre, period))


def figure(section, label: str) -> str:
    return next(f.value for f in section.key_figure_list if f.label == label)


def test_the_nies_section_carries_its_reports_figures(seeded):
    section = drafted("TSCC-NIES")
    rows = {row.key: row for row in section.outputs}
    assert int(figure(section, "Institutions engaged")) >= 14
    assert figure(section, "Proposals submitted") == "5"
    assert figure(section, "Proposals in preparation") == "2"
    assert figure(section, "Institutional support").startswith("RMB 900,000")
    assert figure(section, "Project funding").startswith("RMB 250,000")
    assert int(figure(section, "Experts in the pool")) > 160
    assert "5 project proposals have been submitted" in rows["proposals"].details
    assert "2 more proposals are in preparation, targeting GBFF and KBF" in rows["proposals"].details
    assert "Tsinghua University" in rows["partnerships"].details
    assert "RMB 900,000" in section.key_figures and "RMB 250,000" in section.key_figures
    assert all(row.status == "in_progress" for row in section.outputs)
    # The RMB amounts are also given in US dollars, with the rate named in the annex.
    # The annex cites both ECB rates the conversion went through: 1 EUR = ... CNY (divided by), 1 EUR = ... USD.
    assert [(r.base, r.quote) for r in section.rates_used] == [("EUR", "CNY"), ("EUR", "USD")]
    assert all(Decimal(r.rate) > 0 for r in section.rates_used)


def test_the_central_asia_section_shows_partnerships_and_resources_in_progress_and_no_proposals(seeded):
    section = drafted("TSCC-CA")
    rows = {row.key: row for row in section.outputs}
    assert rows["partnerships"].status == "in_progress" and "RECCA" in rows["partnerships"].details
    assert rows["proposals"].status == "not_started"
    assert "No project proposals have been submitted" in rows["proposals"].details
    assert rows["resources"].status == "in_progress"
    assert "consultants" in rows["resources"].details.lower()
