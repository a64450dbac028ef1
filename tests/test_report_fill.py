"""The section filled into the centre's own Word report: area 3 and the Part III achievement on partnerships
replaced in place, every other paragraph, table, style, header and tracked change left exactly as it was."""

import html
import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from crm.auth.models import User
from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.reports import fill, services
from tests.report_template import AREA_3, NARRATIVE, ca_report, nies_report

P, TBL = qn("w:p"), qn("w:tbl")


def blocks(content: bytes) -> list:
    return list(Document(io.BytesIO(content)).element.body.iterchildren(P, TBL))


def text(block) -> str:
    return "".join(t.text or "" for t in block.iter(qn("w:t")))


def xml(block) -> bytes:
    return etree.tostring(block, method="c14n")


def filled_parts(content: bytes) -> set[int]:
    """The indexes of what filling may change: area 3's outcome, its table, its narrative up to "500 words", and
    the paragraph of Part III's achievement on partnerships."""
    body = blocks(content)
    start = next(i for i, b in enumerate(body) if text(b) == AREA_3)
    end = next(i for i in range(start + 1, len(body)) if text(body[i]).startswith("4."))
    changed = {start + 1}  # the outcome
    changed |= {i for i in range(start, end) if body[i].tag == TBL}
    heading = next(i for i in range(start, end) if text(body[i]) == NARRATIVE)
    stop = next(i for i in range(heading, end) if text(body[i]) == "500 words")
    changed |= set(range(heading + 1, stop))
    title = next(i for i, b in enumerate(body) if text(b).startswith("Achievement 3:"))
    return changed | {title + 1}


def part(content: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return etree.tostring(etree.fromstring(archive.read(name)), method="c14n")


@pytest.fixture
def nies_section(seeded):
    nies = centre_by_code("TSCC-NIES")
    section = services.start_section(nies, nies.periods[0])
    db.session.commit()
    return section


def test_the_nies_report_comes_back_with_area_3_filled_and_nothing_else_changed(nies_section):
    original = nies_report()
    result = fill.fill_report(original, services.section_data(nies_section))
    before, after = blocks(original), blocks(result.content)
    changed = filled_parts(original)
    kept_before = [xml(b) for i, b in enumerate(before) if i not in changed]
    # The narrative may hold more or fewer paragraphs than before: compare what surrounds each filled part.
    changed_after = filled_parts(result.content)
    kept_after = [xml(b) for i, b in enumerate(after) if i not in changed_after]
    assert kept_after == kept_before, "every paragraph and table outside the filled parts is untouched"
    for name in ("word/styles.xml", "word/header1.xml", "word/numbering.xml"):
        assert part(result.content, name) == part(original, name)
    document = Document(io.BytesIO(result.content))
    body = document.element.body
    assert len(body.findall(f".//{qn('w:ins')}")) == len(
        Document(io.BytesIO(original)).element.body.findall(f".//{qn('w:ins')}")
    )
    assert len(body.findall(f".//{qn('w:del')}")) == 3
    filled = "\n".join(text(b) for b in after)
    assert "Outcome 3: TSCC NIES initiates partnership development" in filled
    assert "TSCC NIES has initiated engagement with 17 partners." in filled
    assert "Five project proposals have been submitted" in filled
    assert "1. In terms of partnership building, cooperation models still need further exploration" in filled
    assert "TSCC NIES has initiated the development of a partnership network, engaging 17 institutions" in filled
    # The template's wording elsewhere stays, area 1's own table included.
    assert "The initial draft Memorandum of Agreement (MoA) was prepared by the CBD Secretariat" in filled
    assert "engaging at least 14 institutions" not in filled
    table = next(b for b in after if b.tag == TBL and "Partnerships developed" in text(b))
    rows = table.findall(qn("w:tr"))
    assert [text(r.findall(qn("w:tc"))[0]) for r in rows] == [
        "Outputs",
        "Partnerships developed",
        "Project proposals submitted",
        "Resources mobilized",
        "Resource mobilization strategy",
        "Additional result(s)",
    ]
    # Each details cell keeps the template's closing "150 words", in its own formatting.
    assert all(text(r.findall(qn("w:tc"))[2].findall(P)[-1]) == "150 words" for r in rows[1:])
    assert result.notes[-1].startswith("Part III: “Achievement 3: Partnership network")


def test_the_central_asia_report_keeps_what_its_section_does_not_say(seeded):
    ca = centre_by_code("TSCC-CA")
    section = services.start_section(ca, ca.periods[0])
    original = ca_report()
    result = fill.fill_report(original, services.section_data(section))
    assert "narrative: the section has none, left as it was" in result.notes
    assert "Part III: no achievement on partnerships or resource mobilization, left as it was" in result.notes
    after = "\n".join(text(b) for b in blocks(result.content))
    assert after.count("Please use this space to share what has worked well") == 2
    assert "A draft cooperation agreement with the Regional Environmental Centre for Central Asia (RECCA)" in after
    assert "Outcome X" not in after.split(AREA_3)[1].split("Part III")[0]


def test_a_file_that_is_not_the_report_is_refused_with_a_reason(nies_section, login, client):
    data = services.section_data(nies_section)
    with pytest.raises(fill.FillError, match="could not be read as a Word document"):
        fill.fill_report(b"PK\x03\x04 not really a zip", data)
    other = Document()
    other.add_paragraph("Minutes of the steering committee")
    buffer = io.BytesIO()
    other.save(buffer)
    with pytest.raises(fill.FillError, match="No heading “3. Partnership development"):
        fill.fill_report(buffer.getvalue(), data)
    staff = db.session.query(User).filter_by(email="staff.nies@demo.tscc.example").one()
    login(staff)
    url = f"/reports/sections/{nies_section.id}/fill"
    for upload in (b"%PDF-1.4 a pdf", buffer.getvalue()):
        response = client.post(url, data={"report": (io.BytesIO(upload), "report.docx")})
        assert response.status_code == 422
        shown = html.unescape(response.get_data(as_text=True))
        assert "Choose the report's Word file" in shown or "No heading “3. Partnership development" in shown
    response = client.post(url, data={"report": (io.BytesIO(nies_report()), "Отчёт NIES 2025–2026.docx")})
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    header = response.headers["Content-Disposition"]
    assert 'filename="_ NIES 2025_2026 (area 3 filled).docx"' in header and "%28area%203%20filled%29.docx" in header


def test_the_cli_fills_a_submitted_revision(app, nies_section, tmp_path):
    source = tmp_path / "report.docx"
    source.write_bytes(nies_report())
    args = ["report", "fill", "TSCC-NIES", "--period", "2025-2026", "--input", str(source)]
    refused = app.test_cli_runner().invoke(
        args=[*args, "--output", str(tmp_path / "out.docx"), "--revision", "submitted"]
    )
    assert (
        refused.exit_code != 0
        and "No revision of the 2025-2026 section of TSCC-NIES is submitted yet" in refused.output
    )
    done = app.test_cli_runner().invoke(args=[*args, "--output", str(tmp_path / "out.docx"), "--revision", "1"])
    assert done.exit_code == 0, done.output
    assert "revision 1 (draft)" in done.output and "outputs table: 5 rows" in done.output
    assert (tmp_path / "out.docx").read_bytes().startswith(b"PK")
