"""The section as an A4 PDF laid out like the reporting template, through reportlab's platypus.

Every text from users goes through ``markup`` (xml.sax.saxutils.escape) before it reaches a
Paragraph, so a partner called ``A & B <Ltd>`` prints as written and no text can add tags,
images or links. ``markup`` also sets each character in a font that has it (crm.reports.fonts):
emoji and rare ideographs print; a character no font has prints as its code point, and the last
page lists them. Testable without HTTP: ``render_pdf(section) -> bytes``.
"""

import unicodedata
from contextvars import ContextVar
from io import BytesIO
from itertools import groupby
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from crm.core.text import printable
from crm.reports.fonts import code_point, font_for, is_invisible, register_pdf_font
from crm.reports.section import (
    AREA_HEADING,
    KEY_FIGURES_HEADING,
    NARRATIVE_HEADING,
    OUTPUTS_HEADER,
    Section,
    paragraphs,
)

MARGIN = 2 * cm
TEXT_WIDTH = A4[0] - 2 * MARGIN
COLUMN_WIDTHS = (TEXT_WIDTH * 0.24, TEXT_WIDTH * 0.14, TEXT_WIDTH * 0.62)
RULE_GREY = colors.HexColor("#9aa5a0")
HEADER_FILL = colors.HexColor("#e4ebe7")
INK = colors.HexColor("#1d2a24")


# The characters of the PDF being built that no installed font has (one set per render).
_unprintable: ContextVar[set[str]] = ContextVar("unprintable")


def _glyph(ch: str) -> tuple[str | None, str]:
    """(font, text) for one character: its font, or the main font and its code point when no font has it."""
    if ch == "\n":
        return None, ch
    font = font_for(ch)
    if font is None:
        _unprintable.get(set()).add(ch)
        return None, code_point(ch)
    return font, ch


def markup(text: str) -> str:
    """User text as Paragraph markup that means exactly the text: escaped, line breaks kept, each run in its font."""
    text = unicodedata.normalize("NFC", printable(text))
    glyphs = (_glyph(ch) for ch in text if not is_invisible(ch))
    main = register_pdf_font()
    parts = []
    for font, run in groupby(glyphs, key=lambda glyph: glyph[0] or main):
        escaped = escape("".join(chunk for _, chunk in run)).replace("\n", "<br/>")
        parts.append(escaped if font == main else f'<font face="{font}">{escaped}</font>')
    return "".join(parts)


def unprintable_note(characters: set[str], style: ParagraphStyle) -> list[Paragraph]:
    if not characters:
        return []
    listed = ", ".join(f"{code_point(ch)} {unicodedata.name(ch, 'unnamed character')}" for ch in sorted(characters))
    note = f"No font installed on the server prints these characters; they are shown by their code: {listed}."
    return [Spacer(1, 8), Paragraph(escape(note), style)]


def styles(font: str) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=13.5, textColor=INK, spaceAfter=5)
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12, spaceAfter=3),
        "head_cell": ParagraphStyle("head_cell", parent=body, fontSize=9.5, leading=12, spaceAfter=0),
        # keepWithNext: a heading never ends a page alone.
        "h1": ParagraphStyle("h1", parent=body, fontSize=15, leading=19, spaceBefore=4, spaceAfter=10, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=12, spaceAfter=6, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3, keepWithNext=1),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#4a5a52")),
    }


def text_block(text: str, style: ParagraphStyle, empty: str = "") -> list[Paragraph]:
    blocks = paragraphs(text)
    if not blocks and empty:
        return [Paragraph(markup(empty), style)]
    return [Paragraph(markup(block), style) for block in blocks]


def outputs_table(section: Section, st: dict) -> Table:
    header = [Paragraph(markup(title), st["head_cell"]) for title in OUTPUTS_HEADER]
    rows = [header]
    for output in section.outputs:
        rows.append(
            [
                Paragraph(markup(output.title), st["cell"]),
                Paragraph(markup(output.status_label), st["cell"]),
                text_block(output.details, st["cell"]),
            ]
        )
    # repeatRows: the header on every page; splitInRow: a cell longer than a page continues on the next.
    table = Table(rows, colWidths=COLUMN_WIDTHS, repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE_GREY),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def rates_annex(section: Section, st: dict) -> list:
    story = [Paragraph("Annex. Currency conversion", st["h2"])]
    policy = section.conversion_policy or "No amount needed converting."
    story.append(Paragraph(markup(f"Reporting currency: {section.reporting_currency}. {policy}"), st["body"]))
    if not section.rates_used:
        story.append(Paragraph("No exchange rate was used.", st["body"]))
        return story
    rows = [[Paragraph(title, st["head_cell"]) for title in ("Rate", "Date", "Source", "Reference")]]
    for rate in section.rates_used:
        rows.append(
            [
                Paragraph(markup(f"1 {rate.base} = {rate.rate} {rate.quote}"), st["cell"]),
                Paragraph(markup(rate.effective_on), st["cell"]),
                Paragraph(markup(rate.source), st["cell"]),
                Paragraph(markup(rate.reference), st["cell"]),
            ]
        )
    widths = (TEXT_WIDTH * 0.3, TEXT_WIDTH * 0.15, TEXT_WIDTH * 0.2, TEXT_WIDTH * 0.35)
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE_GREY),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    return story


def story(section: Section, st: dict) -> list:
    flow = [
        Paragraph(markup(AREA_HEADING), st["h1"]),
        Paragraph(markup(f"Outcome 3: {section.outcome}"), st["body"]),
        Spacer(1, 6),
        outputs_table(section, st),
        Paragraph(markup(NARRATIVE_HEADING), st["h2"]),
    ]
    for _, heading, text in section.narrative.parts():
        flow.append(Paragraph(markup(heading), st["h3"]))
        flow.extend(text_block(text, st["body"], empty="—"))
    flow.append(Paragraph(markup(KEY_FIGURES_HEADING), st["h2"]))
    flow.extend(text_block(section.key_figures, st["body"], empty="—"))
    flow.extend(rates_annex(section, st))
    return flow


def status_line(section: Section) -> str:
    if section.is_submitted:
        return f"Revision {section.revision}, submitted {section.submitted_at[:10]}"
    return f"Draft, revision {section.revision}"


def numbered_canvas(section: Section, font: str, header: str, style: ParagraphStyle):
    """A canvas that holds its pages until the end, so each can say "Page N of M".

    The running header is a Paragraph (``header`` is its markup), so the centre's name prints in any script.
    """
    header_style = ParagraphStyle("running_header", parent=style, fontSize=8, leading=10)

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self._frame(number, total)
                super().showPage()
            super().save()

        def _frame(self, number: int, total: int):
            width, height = A4
            self.setFont(font, 8)
            self.setFillColor(colors.HexColor("#4a5a52"))
            running = Paragraph(header, header_style)
            _, used = running.wrapOn(self, TEXT_WIDTH * 0.7, 1.2 * cm)
            running.drawOn(self, MARGIN, height - 1.2 * cm - used + 8)
            self.drawRightString(width - MARGIN, height - 1.2 * cm, status_line(section))
            self.setStrokeColor(RULE_GREY)
            self.line(MARGIN, height - 1.35 * cm, width - MARGIN, height - 1.35 * cm)
            self.drawRightString(width - MARGIN, 1.1 * cm, f"Page {number} of {total}")

    return NumberedCanvas


def render_pdf(section: Section) -> bytes:
    font = register_pdf_font()
    unprintable = set()
    token = _unprintable.set(unprintable)
    try:
        st = styles(font)
        flow = story(section, st)
        header = markup(section.running_header)
        flow.extend(unprintable_note(unprintable, st["small"]))
    finally:
        _unprintable.reset(token)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{AREA_HEADING} — {section.centre_code} {section.period_label}",
        author=section.centre_name,
        subject="TSCC biennial report",
    )
    document.build(flow, canvasmaker=numbered_canvas(section, font, header, st["small"]))
    return buffer.getvalue()
