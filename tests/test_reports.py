"""The resource-mobilisation section: drafting, editing, redrafting, freezing, exports and the CLI."""

import io
import re

import pytest
import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn
from flask_babel import refresh

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.extensions import db
from crm.funding.models import Category
from crm.reports import services
from crm.reports.docx import render_docx
from crm.reports.pdf import render_pdf
from crm.reports.section import Narrative, Output, Section, word_count
from tests.exported import docx_text, pdf_text
from tests.factories import section_form
from tests.statements import statements_of_page

CYRILLIC = "Региональный экологический центр Центральной Азии"
CHINESE = "南京环境科学研究所"


def plain_section(**changes) -> Section:
    values = {
        "centre_code": "TSCC-T",
        "centre_name": "Test centre",
        "period_label": "2025-2026",
        "period_span": "January 2025 – April 2026",
        "outcome": "The centre initiates partnership development.",
        "outputs": [Output("Partnerships developed", "in_progress", "Partners engaged.", key="partnerships")],
        "narrative": Narrative("Worked.", "Hard.", "Try."),
    }
    return Section(**(values | changes))


@pytest.fixture
def nies(make):
    centre = make.centre(code="TSCC-NX", short_name="TSCC NX", reporting_currency="CNY")
    period = make.period(centre)
    staff = make.user(Role.STAFF, [centre])
    return centre, period, staff


def test_a_period_without_records_drafts_an_honest_not_started_section(nies):
    centre, period, _ = nies
    section = services.start_section(centre, period)
    assert [row.status for row in section.outputs] == ["not_started"] * 5
    assert [row.title for row in section.outputs] == [
        "Partnerships developed",
        "Project proposals submitted",
        "Resources mobilized",
        "Resource mobilization strategy",
        "Additional result(s)",
    ]
    # "Additional result(s)" with nothing to tell is left out of the report, as the reports leave it out.
    assert [row.is_hidden for row in section.outputs] == [False] * 4 + [True]
    data = services.section_data(section)
    assert [output.details for output in data.outputs] == [
        "No partnerships have been developed yet.",
        "No project proposals have been submitted yet.",
        "No resources have been mobilized yet.",
        "A resource mobilization strategy has not been developed yet.",
    ]
    assert data.rates_used == []
    assert data.narrative.worked_well == data.narrative.challenges == data.narrative.solutions == ""


def test_a_section_drafted_from_a_russian_interface_is_drafted_in_english(app, nies, make):
    """The report is filed in English: a user working in Russian gets the choices' labels it quotes in English."""
    centre, period, _ = nies
    make.ledger_entry(centre, category="government", stage="committed", booked_on=period.starts_on)
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        refresh()  # the fixtures' app context holds the language it first read
        assert str(Category.GOVERNMENT.label) != "National or local government", "the interface is in Russian"
        data = services.section_data(services.start_section(centre, period))
        resources = next(o for o in data.outputs if o.key == "resources")
        words = resources.details + " ".join(f"{f.label} {f.value}" for f in resources.figures)
    assert "national or local government" in words.lower()
    assert not re.search("[а-яА-Я]", words)


def test_word_counts_count_words_and_chinese_characters():
    assert word_count("") == 0
    assert word_count("Five project proposals were submitted.") == 5
    assert word_count("南京 institute") == 3
    long = plain_section(outputs=[Output("Row", "in_progress", "word " * 151)])
    assert long.outputs[0].word_count.is_over
    assert not plain_section().outputs[0].word_count.is_over


@pytest.fixture
def drafted(make, nies):
    centre, period, staff = nies
    research = make.organisation_type(name="Research institutes and universities", code="research-x")
    for name, stage in ((CYRILLIC, "in_discussion"), (CHINESE, "active"), ("A & B <Ltd>", "contacted")):
        make.partnership(centre, make.organisation(name=name, type=research), stage=stage)
    section = services.start_section(centre, period)
    db.session.commit()
    return section


def test_a_few_partners_are_named_in_the_sentence_of_their_stage(drafted):
    row = drafted.outputs[0]
    assert row.status == "in_progress"
    assert row.details == (
        f"TSCC NX has initiated engagement with A & B <Ltd>. Cooperation is being discussed with {CYRILLIC}. "
        f"Joint work is under way with {CHINESE}."
    )
    figures = services.section_data(drafted).outputs[0].figures
    assert figures[0].label == "Partners developed" and figures[0].value == "3"


def test_cyrillic_and_chinese_names_come_out_of_the_pdf_as_text(drafted, tmp_path):
    text = pdf_text(render_pdf(services.section_data(drafted)), tmp_path)
    assert CYRILLIC in re.sub(r"\s+", " ", text)
    assert CHINESE in text
    assert "3. Partnership development and resource mobilization" in text
    assert "Page 1 of" in text
    # The running header: the centre's official name, then the report and its status.
    assert f"{drafted.centre.name} (TSCC-NX)" in text
    assert "Biennial report 2025-2026 · Draft, revision 1" in text


def test_cyrillic_and_chinese_names_come_out_of_the_docx_with_an_east_asian_font(drafted):
    content = render_docx(services.section_data(drafted))
    text = docx_text(content)
    assert CYRILLIC in text and CHINESE in text
    document = Document(io.BytesIO(content))
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["Outputs", "Status", "Details"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    runs = [run for p in table.rows[1].cells[2].paragraphs for run in p.runs]
    assert runs and all(run._element.rPr.rFonts.get(qn("w:eastAsia")) for run in runs)


def test_user_text_cannot_insert_markup_images_or_links(tmp_path):
    hostile = 'A & B <Ltd> <img src="/etc/passwd"/> <a href="https://evil.example">click</a> <font size=40>big</font>'
    section = plain_section(outputs=[Output("<b>Row</b> & co", "in_progress", hostile)], outcome="x < y & z")
    content = render_pdf(section)
    text = re.sub(r"\s+", " ", pdf_text(content, tmp_path))
    assert "A & B <Ltd>" in text
    assert '<img src="/etc/passwd"/>' in text
    assert '<a href="https://evil.example">click</a>' in text
    assert "<b>Row</b> & co" in text and "x < y & z" in text
    assert b"/Subtype /Image" not in content and b"/URI" not in content and b"/Link" not in content
    word = docx_text(render_docx(section))
    assert hostile in word and "<b>Row</b> & co" in word


def test_details_far_over_the_limit_export_as_written(tmp_path):
    essay = " ".join(f"word{n}" for n in range(3000))
    section = plain_section(outputs=[Output("Long", "in_progress", essay)])
    text = pdf_text(render_pdf(section), tmp_path)
    assert "word2999" in text and "Page 1 of" in text
    assert "word2999" in docx_text(render_docx(section))


def test_preview_links_each_figure_to_its_records_and_flags_word_counts(drafted, login, client, nies):
    staff = nies[2]
    row = drafted.outputs[1]
    row.details = "word " * 200
    db.session.commit()
    page = login(staff).get(f"/reports/sections/{drafted.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    link = re.search(r'href="(/partnerships\?[^"]*centre=TSCC-NX[^"]*)"', html)
    assert link and "to=" in link.group(1), "the figure's list is the period's"
    assert "200 / 150 words — over the indicative limit" in html
    assert "A &amp; B &lt;Ltd&gt;" in html


def test_staff_edit_a_details_cell_and_a_stale_form_is_a_conflict(drafted, login, client, nies):
    login(nies[2])
    stale = section_form(drafted)
    response = client.post(
        f"/reports/sections/{drafted.id}/edit",
        data=section_form(
            drafted, **{"outputs-1-details": "Five proposals.\r\n\r\nTwo more.", "outputs-1-status": "completed"}
        ),
    )
    assert response.status_code == 302
    db.session.refresh(drafted)
    # The browser's CRLF line ends are stored plain, so a redraft compares like with like.
    assert drafted.outputs[1].details == "Five proposals.\n\nTwo more." and drafted.outputs[1].status == "completed"
    assert client.post(f"/reports/sections/{drafted.id}/edit", data=stale).status_code == 409


def test_a_bad_status_is_refused_beside_the_field(drafted, login, client, nies):
    login(nies[2])
    response = client.post(
        f"/reports/sections/{drafted.id}/edit", data=section_form(drafted, **{"outputs-0-status": "done"})
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_staff_add_and_remove_their_own_rows_but_not_the_templates(drafted, login, client, nies):
    login(nies[2])
    assert client.post(f"/reports/sections/{drafted.id}/rows", data={"title": "Интерны 实习生"}).status_code == 302
    db.session.refresh(drafted)
    added = drafted.outputs[-1]
    assert added.title == "Интерны 实习生" and added.key is None
    template_row = drafted.outputs[0]
    client.post(
        f"/reports/sections/{drafted.id}/rows/{template_row.id}/delete",
        data={"version": drafted.version, "confirm": "y"},
    )
    db.session.refresh(drafted)
    assert len(drafted.outputs) == 6
    client.post(
        f"/reports/sections/{drafted.id}/rows/{added.id}/delete", data={"version": drafted.version, "confirm": "y"}
    )
    db.session.refresh(drafted)
    assert len(drafted.outputs) == 5


def test_redraft_brings_a_new_partner_into_the_staff_words_and_changes_only_what_is_accepted(
    drafted, login, client, nies, make
):
    centre, _, staff = nies
    edit = section_form(drafted, outcome="Our own outcome.")
    edit["outputs-0-details"] = "We are proud of this. " + drafted.outputs[0].details + " More to come."
    login(staff)
    assert client.post(f"/reports/sections/{drafted.id}/edit", data=edit).status_code == 302
    make.partnership(centre, make.organisation(name="New Partner Institute"), stage="active")
    page = client.get(f"/reports/sections/{drafted.id}/redraft")
    html = page.get_data(as_text=True)
    assert "<del>" in html and "<ins>" in html and "New Partner Institute" in html
    db.session.refresh(drafted)
    row = drafted.outputs[0]
    assert "New Partner Institute" not in row.details, "nothing changes before it is accepted"
    key = next(k for k, _ in services.redraft_changes(drafted).choices() if k.startswith(f"details:{row.id}|update"))
    response = client.post(
        f"/reports/sections/{drafted.id}/redraft", data={"version": drafted.version, "accept": [key]}
    )
    assert response.status_code == 302
    db.session.refresh(drafted)
    details = drafted.outputs[0].details
    assert details.startswith("We are proud of this. ") and details.endswith(" More to come.")
    assert f"Joint work is under way with {CHINESE} and the New Partner Institute." in details
    assert drafted.outcome == "Our own outcome."


def test_a_submitted_section_is_frozen_against_record_changes(drafted, login, client, nies, make, tmp_path):
    centre, _, staff = nies
    login(staff)
    assert (
        client.post(
            f"/reports/sections/{drafted.id}/submit", data={"version": drafted.version, "confirm": "y"}
        ).status_code
        == 302
    )
    db.session.refresh(drafted)
    assert drafted.is_submitted and drafted.submitted_by_id == staff.id
    before = services.section_data(drafted)
    pdf_before = pdf_text(render_pdf(before), tmp_path)

    make.partnership(centre, make.organisation(name="Late Partner"), stage="active")
    after = services.section_data(drafted)
    assert after == before
    assert "Late Partner" not in pdf_text(render_pdf(after), tmp_path)
    assert pdf_text(render_pdf(after), tmp_path) == pdf_before

    refused = client.get(f"/reports/sections/{drafted.id}/edit")
    assert refused.status_code == 302
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "report_sections", AuditEntry.entity_id == drafted.id)
    ).all()
    submitted = [entry for entry in audit if entry.action == "update" and "submitted_at" in entry.changes]
    assert submitted and submitted[0].actor_email == staff.email


def test_a_new_revision_starts_from_the_submitted_words(drafted, login, client, nies):
    login(nies[2])
    drafted.outputs[2].details = "As submitted."
    db.session.commit()
    client.post(f"/reports/sections/{drafted.id}/submit", data={"version": drafted.version, "confirm": "y"})
    db.session.refresh(drafted)
    response = client.post(f"/reports/sections/{drafted.id}/revise", data={"version": drafted.version, "confirm": "y"})
    assert response.status_code == 302
    revision = services.latest_section(drafted.period_id)
    assert revision.revision == 2 and not revision.is_submitted
    assert revision.outputs[2].details == "As submitted."
    assert services.section_data(drafted).outputs[2].details == "As submitted."


def test_exports_send_pdf_word_and_html(drafted, login, client, nies):
    login(nies[2])
    pdf = client.get(f"/reports/sections/{drafted.id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    word = client.get(f"/reports/sections/{drafted.id}/export.docx")
    assert word.status_code == 200 and word.data.startswith(b"PK")
    assert "attachment" in word.headers["Content-Disposition"]
    html = client.get(f"/reports/sections/{drafted.id}/export.html").get_data(as_text=True)
    assert "<th>Outputs</th><th>Status</th><th>Details</th>" in html and CHINESE in html


def test_the_preview_runs_the_same_number_of_statements_whatever_the_records(app, drafted, login, client, nies, make):
    centre, _, staff = nies
    login(staff)
    url = f"/reports/sections/{drafted.id}"
    client.get(url)
    few = statements_of_page(app, client, url)
    kind = make.organisation_type(name="NGOs", code="ngo-x")
    for n in range(15):
        make.partnership(centre, make.organisation(name=f"Extra partner {n}", type=kind), stage="in_discussion")
    many = statements_of_page(app, client, url)
    assert few == many


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["report", "section", *args])


def test_cli_writes_each_format(app, drafted, tmp_path):
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK"), ("html", b"<!doctype html>")):
        output = tmp_path / f"section.{fmt}"
        result = run_cli(app, "TSCC-NX", "--period", "2025-2026", "--format", fmt, "--output", str(output))
        assert result.exit_code == 0, result.output
        assert output.read_bytes().startswith(magic)
        assert "revision 1 (draft)" in result.output


def test_cli_drafts_a_period_nobody_started_without_saving_it(app, nies, tmp_path):
    centre, period, _ = nies
    result = run_cli(app, "tscc-nx", "--period", "2025-2026", "--output", str(tmp_path / "s.pdf"))
    assert result.exit_code == 0, result.output
    assert "fresh draft" in result.output
    assert services.latest_section(period.id) is None


def test_cli_refuses_an_unknown_centre_or_period(app, nies, tmp_path):
    result = run_cli(app, "TSCC-NOPE", "--period", "2025-2026", "--output", str(tmp_path / "s.pdf"))
    assert result.exit_code != 0 and "No centre has the code 'TSCC-NOPE'" in result.output
    result = run_cli(app, "TSCC-NX", "--period", "1999", "--output", str(tmp_path / "s.pdf"))
    assert result.exit_code != 0
    assert "TSCC-NX has no reporting period '1999' (its periods: 2025-2026)" in result.output
    result = run_cli(app, "TSCC-NX", "--period", "2025-2026", "--format", "odt", "--output", str(tmp_path / "s"))
    assert result.exit_code != 0
    assert not (tmp_path / "s.pdf").exists()


def test_the_docx_numbers_its_pages_as_the_pdf_does(drafted, tmp_path):
    document = Document(io.BytesIO(render_docx(services.section_data(drafted))))
    footer = document.sections[0].footer.paragraphs[0]
    fields = [f.get(qn("w:instr")) for f in footer._p.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("Page ")
