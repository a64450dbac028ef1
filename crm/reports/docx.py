"""The section as a Word document laid out like the reporting template, so staff can paste it into their report
(or have it filled into their own report file: ``crm.reports.fill``).

The outputs table has the template's three columns and a header row repeated on every page; its first column is
wide enough for the longest word of any title. Every run names a Latin and an East Asian font (w:eastAsia):
without the latter Word picks a Latin font for Chinese text and shows empty boxes on some systems. The page
header carries the centre's official name and the section's status (draft or submitted).
Testable without HTTP: ``render_docx(section) -> bytes``; ``new_document`` and ``add_section`` let the GCE's
compilation put several sections in one file.
"""

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from reportlab.pdfbase.pdfmetrics import stringWidth

from crm.core.text import printable
from crm.reports.fonts import register_pdf_font
from crm.reports.pdf import column_widths
from crm.reports.section import (
    ANNEX_HEADING,
    AREA_HEADING,
    KEY_FIGURES_HEADING,
    NARRATIVE_HEADING,
    NO_CONVERSION,
    NO_RATE,
    OUTCOME_LABEL,
    OUTPUTS_HEADER,
    PAGE_OF,
    RATES_HEADER,
    RATES_HEADING,
    REPORTING_CURRENCY,
    AnnexTable,
    Section,
    paragraphs,
)

LATIN_FONT = "Calibri"
# Installed with Office on Windows and macOS; LibreOffice substitutes any CJK font it has.
EAST_ASIAN_FONT = "Microsoft YaHei"
TEXT_WIDTH = Cm(17)
STATUS_WIDTH = Cm(2.6)
HEADER_FILL = "DFE8E3"
INK = RGBColor(0x1D, 0x2A, 0x24)
ACCENT = RGBColor(0x1F, 0x4F, 0x42)
CELL_SIZE = 10
# Space between the paragraphs of a cell, as between those of the body.
CELL_SPACING = Pt(4)
CELL_MARGIN = 57  # twips, 1 mm above and below a cell's text


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
    add_run(paragraph, text).font.color.rgb = ACCENT
    paragraph.paragraph_format.keep_with_next = True
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


def fill_cell(cell, text: str, bold: bool = False, size: float | None = None) -> None:
    # A new cell holds one empty paragraph: write the first block into it rather than leave a blank line.
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    add_text(cell, text, bold=bold, size=size, empty=" ")
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.space_after = CELL_SPACING
    cell.paragraphs[-1].paragraph_format.space_after = Pt(0)


def table_of(document, header: list[str], rows: list[list[str]], widths: list, size: float | None = None):
    """A grid table whose header row repeats on every page; Word reads the cells' widths, LibreOffice the grid's:
    both are set."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for cell, title in zip(table.rows[0].cells, header, strict=True):
        fill_cell(cell, title, bold=True, size=size)
    mark_header_row(table.rows[0])
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            fill_cell(cell, value, size=size)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        # A row moves whole to the next page (Word and LibreOffice still split one taller than a page).
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    cell_margins(table, top=CELL_MARGIN, bottom=CELL_MARGIN)
    return table


def cell_margins(table, **twips: int) -> None:
    """The space between a cell's border and its text (Table Grid has none above and below)."""
    margins = OxmlElement("w:tblCellMar")
    for side, value in twips.items():
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(value))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema puts the margins before it
    if look is None:
        properties.append(margins)
    else:
        look.addprevious(margins)


def first_column_width(titles: list[str]) -> int:
    """Wide enough that the longest word of any title ("Распространение") never breaks, within limits. Measured
    with the PDF's font, wider than Calibri, so it fits Word's too."""
    font = register_pdf_font()
    longest = max((stringWidth(word, font, CELL_SIZE) for title in titles for word in title.split()), default=0)
    # Cell margins of the Table Grid style: 0.19 cm each side.
    wanted = Cm(longest / 28.35 + 0.5)
    return int(min(max(wanted, Cm(3.8)), Cm(5.8)))


def fitted_widths(columns: list[str], rows: list[list[str]]) -> list[int]:
    """The PDF's widths (no word broken, the rest to the longest texts), measured a size up for Calibri's margins."""
    points = column_widths(columns, rows, TEXT_WIDTH / 12700, register_pdf_font(), 10.5)
    return [int(p * 12700) for p in points]


def outputs_table(document, section: Section) -> None:
    first = first_column_width([output.title for output in section.outputs])
    widths = [first, STATUS_WIDTH, TEXT_WIDTH - first - STATUS_WIDTH]
    rows = [[output.title, section.words(output.status_label), output.details] for output in section.outputs]
    table_of(document, [section.words(word) for word in OUTPUTS_HEADER], rows, widths)


def annex_table(document, table: AnnexTable) -> None:
    add_text(document, table.title, bold=True)
    if not table.rows:
        add_text(document, table.empty)
        return
    table_of(document, table.columns, table.rows, fitted_widths(table.columns, table.rows), size=8.5)
    if table.note:
        add_text(document, table.note, size=8.5)


def rates_annex(document, section: Section) -> None:
    heading(document, section.words(RATES_HEADING), 2)
    policy = section.conversion_policy or section.words(NO_CONVERSION)
    add_text(document, f"{section.words(REPORTING_CURRENCY, currency=section.reporting_currency)} {policy}")
    if not section.rates_used:
        add_text(document, section.words(NO_RATE))
        return
    rows = [
        [f"1 {rate.base} = {rate.rate} {rate.quote}", rate.effective_on, rate.source, rate.reference]
        for rate in section.rates_used
    ]
    header = [section.words(word) for word in RATES_HEADER]
    table_of(document, header, rows, [Cm(5), Cm(2.6), Cm(4.4), Cm(5)], size=8.5)


def page_setup(document, header: list[str], page_of: str = PAGE_OF) -> None:
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(2))
    first = page.header.paragraphs[0]
    for number, line in enumerate(header):
        paragraph = first if number == 0 else page.header.add_paragraph()
        add_run(paragraph, line, size=8)
    page_numbers(page.footer.paragraphs[0], page_of)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    set_fonts(normal.element.get_or_add_rPr())
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        set_fonts(document.styles[name].element.get_or_add_rPr())


def page_numbers(paragraph, page_of: str = PAGE_OF) -> None:
    """ "Page N of M", as the PDF has it: Word fills the PAGE and NUMPAGES fields when it lays the pages out."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    before, _, rest = page_of.partition("%(number)s")
    between, _, after = rest.partition("%(total)s")
    for text, field in ((before, "PAGE"), (between, "NUMPAGES"), (after, None)):
        if text:
            add_run(paragraph, text, size=8)
        if field:
            add_field(paragraph, field)


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


def new_document(header: list[str], title: str, author: str, page_of: str = PAGE_OF):
    document = Document()
    page_setup(document, header, page_of)
    document.core_properties.title = title
    document.core_properties.author = author
    return document


def add_section(document, section: Section) -> None:
    heading(document, section.words(AREA_HEADING), 1)
    if section.is_working_copy:
        add_text(document, section.working_copy_label, bold=True)
    outcome = document.add_paragraph()
    add_run(outcome, section.words(OUTCOME_LABEL) + " ", bold=True)
    add_run(outcome, section.outcome)
    outputs_table(document, section)
    heading(document, section.words(NARRATIVE_HEADING), 2)
    for _, title, text in section.narrative.parts():
        add_text(document, section.words(title), bold=True)
        add_text(document, text, empty="—")
    heading(document, section.words(KEY_FIGURES_HEADING), 2)
    add_text(document, section.key_figures, empty="—")
    if section.annex:
        heading(document, section.words(ANNEX_HEADING), 2)
        for table in section.annex:
            annex_table(document, table)
    rates_annex(document, section)


def saved(document) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_docx(section: Section) -> bytes:
    title = f"{section.words(AREA_HEADING)} — {section.centre_code} {section.period_label}"
    header = [section.running_header, section.status_line]
    document = new_document(header, title, section.official_name, section.words(PAGE_OF))
    add_section(document, section)
    return saved(document)
