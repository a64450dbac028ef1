"""The section as a Word document laid out like the reporting template, so staff can paste it into their report.

The outputs table has the template's three columns and a header row repeated on every page.
Every run names a Latin and an East Asian font (w:eastAsia): without the latter Word picks a
Latin font for Chinese text and shows empty boxes on some systems.
Testable without HTTP: ``render_docx(section) -> bytes``.
"""

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from crm.core.text import printable
from crm.reports.section import (
    AREA_HEADING,
    KEY_FIGURES_HEADING,
    NARRATIVE_HEADING,
    OUTPUTS_HEADER,
    Section,
    paragraphs,
)

LATIN_FONT = "Calibri"
# Installed with Office on Windows and macOS; LibreOffice substitutes any CJK font it has.
EAST_ASIAN_FONT = "Microsoft YaHei"
COLUMN_WIDTHS = (Cm(3.8), Cm(2.8), Cm(10.4))
HEADER_FILL = "E4EBE7"


def set_fonts(element_rpr) -> None:
    """Name the fonts of a run or a style's run properties, East Asian included."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def add_run(paragraph, text: str, bold: bool = False, size: float | None = None):
    # python-docx writes text as text: no markup in user input can become formatting. Word's XML holds no
    # control character: printable() drops them (a vertical tab pasted from Word is a line break).
    run = paragraph.add_run(printable(text))
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    set_fonts(run._element.get_or_add_rPr())
    return run


def add_text(container, text: str, bold: bool = False, size: float | None = None, empty: str = ""):
    """Paragraphs of user text, blank-line separated; line breaks inside a paragraph kept."""
    blocks = paragraphs(text) or ([empty] if empty else [])
    for block in blocks:
        paragraph = container.add_paragraph()
        for number, line in enumerate(block.split("\n")):
            run = add_run(paragraph, line, bold=bold, size=size)
            if number:
                run._element.addprevious(OxmlElement("w:br"))
    return blocks


def heading(document, text: str, level: int):
    paragraph = document.add_heading(level=level)
    add_run(paragraph, text).font.color.rgb = RGBColor(0x1D, 0x2A, 0x24)
    return paragraph


def mark_header_row(row) -> None:
    properties = row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell in row.cells:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), HEADER_FILL)
        cell._tc.get_or_add_tcPr().append(shading)


def fill_cell(cell, text: str, bold: bool = False) -> None:
    # A new cell holds one empty paragraph: write the first block into it rather than leave a blank line.
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    add_text(cell, text, bold=bold, empty=" ")


def outputs_table(document, section: Section) -> None:
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    table.autofit = False
    for cell, title in zip(table.rows[0].cells, OUTPUTS_HEADER, strict=True):
        fill_cell(cell, title, bold=True)
    mark_header_row(table.rows[0])
    for output in section.outputs:
        cells = table.add_row().cells
        fill_cell(cells[0], output.title)
        fill_cell(cells[1], output.status_label)
        fill_cell(cells[2], output.details)
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMN_WIDTHS, strict=True):
            cell.width = width


def rates_annex(document, section: Section) -> None:
    heading(document, "Annex. Currency conversion", 2)
    policy = section.conversion_policy or "No amount needed converting."
    add_text(document, f"Reporting currency: {section.reporting_currency}. {policy}")
    if not section.rates_used:
        add_text(document, "No exchange rate was used.")
        return
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("Rate", "Date", "Source", "Reference"), strict=True):
        fill_cell(cell, title, bold=True)
    mark_header_row(table.rows[0])
    for rate in section.rates_used:
        cells = table.add_row().cells
        values = (f"1 {rate.base} = {rate.rate} {rate.quote}", rate.effective_on, rate.source, rate.reference)
        for cell, value in zip(cells, values, strict=True):
            fill_cell(cell, value)


def page_setup(document, section: Section) -> None:
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(2))
    add_run(page.header.paragraphs[0], section.running_header, size=8)
    page_numbers(page.footer.paragraphs[0])
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    set_fonts(normal.element.get_or_add_rPr())
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        set_fonts(document.styles[name].element.get_or_add_rPr())


def page_numbers(paragraph) -> None:
    """ "Page N of M", as the PDF has it: Word fills the PAGE and NUMPAGES fields when it lays the pages out."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_run(paragraph, "Page ", size=8)
    add_field(paragraph, "PAGE")
    add_run(paragraph, " of ", size=8)
    add_field(paragraph, "NUMPAGES")


def add_field(paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")  # half-points: 8 pt, as the words around it
    properties.append(size)
    run.append(properties)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def render_docx(section: Section) -> bytes:
    document = Document()
    page_setup(document, section)
    document.core_properties.title = f"{AREA_HEADING} — {section.centre_code} {section.period_label}"
    document.core_properties.author = section.centre_name
    heading(document, AREA_HEADING, 1)
    outcome = document.add_paragraph()
    add_run(outcome, "Outcome 3: ", bold=True)
    add_run(outcome, section.outcome)
    outputs_table(document, section)
    heading(document, NARRATIVE_HEADING, 2)
    for _, title, text in section.narrative.parts():
        add_text(document, title, bold=True)
        add_text(document, text, empty="—")
    heading(document, KEY_FIGURES_HEADING, 2)
    add_text(document, section.key_figures, empty="—")
    rates_annex(document, section)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
