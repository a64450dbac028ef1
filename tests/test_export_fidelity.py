"""Every character a user can type reaches the PDF and the Word file; control characters break neither."""

import io
import re
import unicodedata

from docx import Document
from docx.oxml.ns import qn

from crm.reports.docx import render_docx
from crm.reports.fonts import FALLBACKS, font_for
from crm.reports.pdf import render_pdf
from crm.reports.section import Narrative, Output
from tests.test_reports import docx_text, pdf_text, plain_section

EMOJI = "Partner meeting 🌱🐼🌏"
CJK_EXTENSION_B = "𠀀𠀁𪚥"
SCRIPTS = "Ελληνικά · עברית · العربية · Հայերեն · ქართული · Қазақстан · 南京"
# U+1FAE8 (shaking face, Unicode 15) is in none of the fonts installed here.
UNKNOWN = "\U0001fae8"


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_emoji_rare_ideographs_and_other_scripts_come_out_of_the_pdf_as_text(tmp_path):
    section = plain_section(
        outcome=EMOJI,
        centre_name=f"Centre {CJK_EXTENSION_B}",
        outputs=[Output("Partnerships developed", "in_progress", SCRIPTS, key="partnerships")],
    )
    content = render_pdf(section)
    text = pdf_text(content, tmp_path)
    assert "🌱🐼🌏" in text
    assert CJK_EXTENSION_B in squeeze(text), "the running header and body keep planes 2 and 3"
    for word in ("Ελληνικά", "Հայերեն", "ქართული", "Қазақстан", "南京"):
        assert word in text
    # Each fallback is embedded only because a character needed it.
    assert b"Symbola" in content and b"HanaMinB" in content
    assert "shown by their code" not in text


def test_a_character_no_font_has_prints_as_its_code_with_a_note(tmp_path):
    assert all(font_for(UNKNOWN) is None for _ in FALLBACKS)
    text = pdf_text(render_pdf(plain_section(outcome=f"Mood {UNKNOWN} today")), tmp_path)
    assert "Mood [U+1FAE8] today" in text
    assert "shownbytheircode:[U+1FAE8]" in squeeze(text)


def test_control_characters_pasted_from_word_break_neither_export(tmp_path):
    pasted = "First line\x0bsecond line\x0cthird\x00 part\x07 \ufffe end\u200d"
    section = plain_section(
        outcome=pasted,
        outputs=[Output("Row\x01 one", "in_progress", pasted, key="partnerships")],
        narrative=Narrative(pasted, pasted, pasted),
        key_figures=pasted,
    )
    text = pdf_text(render_pdf(section), tmp_path)
    assert "second line" in text and "Row one" in text
    word = docx_text(render_docx(section))
    assert "First line\nsecond line\nthird\ufffd part  end" in word
    assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in word)


def pdf_pages(content: bytes, tmp_path) -> list[str]:
    return pdf_text(content, tmp_path).split("\f")


def test_a_table_row_moves_whole_to_the_next_page_and_the_header_heads_each_page_once(tmp_path):
    filler = " ".join(["The centre engaged partners in the region and reported on progress."] * 30)
    outputs = [
        Output(f"Output {n}", "in_progress", f"Row {n} begins. {filler} Row {n} ends.", key=f"o{n}")
        for n in range(1, 5)
    ]
    pages = pdf_pages(render_pdf(plain_section(outputs=outputs)), tmp_path)
    assert len([page for page in pages if "Row" in page]) >= 2, "the table must need more than one page"
    for n in range(1, 5):
        (page,) = [page for page in pages if f"Row {n} begins." in page]
        assert f"Row {n} ends." in page, f"row {n} was split across pages"
    for page in pages:
        assert len(re.findall(r"Outputs\s+Status\s+Details", page)) <= 1


def test_a_row_taller_than_a_page_continues_on_the_next(tmp_path):
    long = "\n\n".join(f"Paragraph {n} of a very long account written by staff." for n in range(1, 121))
    pages = pdf_pages(render_pdf(plain_section(outputs=[Output("Output", "in_progress", long, key="o")])), tmp_path)
    text = "".join(pages)
    assert "Paragraph 1 of" in pages[0] and all(f"Paragraph {n} of" in text for n in range(1, 121))
    assert len([page for page in pages if "Paragraph" in page]) >= 2


def test_word_rows_move_whole_to_the_next_page_with_space_around_their_text():
    section = plain_section(outputs=[Output(f"Output {n}", "in_progress", "Details.", key=f"o{n}") for n in range(3)])
    document = Document(io.BytesIO(render_docx(section)))
    rows = [row._tr for table in document.tables for row in table.rows]
    assert rows and all(row.trPr.find(qn("w:cantSplit")) is not None for row in rows)
    for table in document.tables:
        margins = table._tbl.tblPr.find(qn("w:tblCellMar"))
        assert [side.get(qn("w:w")) for side in margins] == ["57", "57"]
        # In the schema's order, before tblLook, or Word reports the file as damaged.
        assert table._tbl.tblPr.index(margins) < table._tbl.tblPr.index(table._tbl.tblPr.find(qn("w:tblLook")))
