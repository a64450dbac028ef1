"""The section as an A4 PDF laid out like the reporting template, through reportlab's platypus.

Every text from users goes through ``markup`` (xml.sax.saxutils.escape) before it reaches a
Paragraph, so a partner called ``A & B <Ltd>`` prints as written and no text can add tags,
images or links. ``markup`` also sets each character in a font that has it (crm.reports.fonts):
emoji and rare ideographs print; a character no font has prints as its code point, and the last
page lists them. Testable without HTTP: ``render_pdf(section) -> bytes``; ``section_story`` and
``build`` let the GCE's compilation (``crm.reports.compilation``) print several sections as one document.

The main font embedded (WenQuanYi Micro Hei) has no bold: headings are told apart by size, colour, spacing and
rules, table headers by their fill and a heavier rule.
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from itertools import groupby
from xml.sax.saxutils import escape

from reportlab import platypus
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from crm.core.text import printable
from crm.reports.fonts import code_point, font_for, is_invisible, register_pdf_font
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
    OutputStatus,
    Section,
    paragraphs,
)

MARGIN = 2 * cm
TOP_MARGIN = MARGIN + 0.3 * cm  # room for the running header
TEXT_WIDTH = A4[0] - 2 * MARGIN
# The frame's height less its own padding (6 points top and bottom).
TEXT_HEIGHT = A4[1] - TOP_MARGIN - MARGIN - 12
RULE_GREY = colors.HexColor("#9aa5a0")
HEADER_FILL = colors.HexColor("#dfe8e3")
INK = colors.HexColor("#1d2a24")
ACCENT = colors.HexColor("#1f4f42")
MUTED = colors.HexColor("#4a5a52")
CELL_SIZE = 9
CELL_PADDING = 12


# Chinese (and Japanese, Korean) characters, written without spaces between words.
CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


# What a column is kept at least as wide as: a run of other characters than spaces (a word, a figure kept whole
# by its no-break spaces) or, in Chinese, which may break between any two characters, four of them (a column no
# narrower than a short word: 已承诺, not 已 / 承 / 诺).
UNBREAKABLE = re.compile(f"{CJK.pattern}{{1,4}}|(?:(?!{CJK.pattern})[^ \\t\\n])+")


class Paragraph(platypus.Paragraph):
    """A paragraph wrapped as its script is: one with Chinese in it between any two characters (ReportLab's CJK
    wrapping, which keeps an English name inside it whole: "China", never "C / hina"), any other only at its spaces
    (CJK wrapping would cut a narrow column's English words anywhere)."""

    def __init__(self, text, style=None, *args, **kwargs):
        if style is not None and not getattr(style, "wordWrap", None) and CJK.search(text or ""):
            style = ParagraphStyle(f"{style.name}_cjk", parent=style, wordWrap="CJK")
        super().__init__(text, style, *args, **kwargs)


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
    # No widow nor orphan: a paragraph never leaves its first or last line alone at a page's foot or head.
    body = ParagraphStyle(
        "body", fontName=font, fontSize=10, leading=14, textColor=INK, spaceAfter=6, allowWidows=0, allowOrphans=0
    )
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=CELL_SIZE, leading=12.5, spaceAfter=4),
        "head_cell": ParagraphStyle("head_cell", parent=body, fontSize=9.5, leading=12, spaceAfter=0, textColor=ACCENT),
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=25, spaceAfter=8, textColor=ACCENT),
        # keepWithNext: a heading never ends a page alone.
        "h1": ParagraphStyle(
            "h1", parent=body, fontSize=16, leading=20, spaceBefore=6, spaceAfter=4, textColor=ACCENT, keepWithNext=1
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontSize=12.5, leading=16, spaceBefore=14, spaceAfter=6, textColor=ACCENT, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3, textColor=INK, keepWithNext=1
        ),
        "h2_loose": ParagraphStyle(
            "h2_loose", parent=body, fontSize=12.5, leading=16, spaceBefore=14, spaceAfter=6, textColor=ACCENT
        ),
        "h3_loose": ParagraphStyle("h3_loose", parent=body, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3),
        "label": ParagraphStyle("label", parent=body, fontSize=10, textColor=ACCENT, spaceAfter=2, keepWithNext=1),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
    }


def text_block(text: str, style: ParagraphStyle, empty: str = "") -> list[Paragraph]:
    blocks = paragraphs(text)
    if not blocks and empty:
        return [Paragraph(markup(empty), style)]
    return [Paragraph(markup(block), style) for block in blocks]


def first_column_width(titles: list[str], font: str) -> float:
    """Wide enough that the longest word of any row's title ("Распространение") never breaks, within limits."""
    longest = max((stringWidth(word, font, CELL_SIZE) for title in titles for word in title.split()), default=0)
    return min(max(longest + CELL_PADDING + 2, TEXT_WIDTH * 0.22), TEXT_WIDTH * 0.34)


def column_widths(columns: list[str], rows: list[list[str]], total: float, font: str, size: float) -> list[float]:
    """Widths that never break a word (each column at least its longest word) and give the rest of the line to
    the columns whose text is longest: dates and amounts stay on one line, titles wrap."""

    def width(text: str, heading: bool = False) -> float:
        # Headers are set half a point larger than cells.
        # Two points spare: a figure measured to the point would still wrap its last digit.
        return stringWidth(text, font, size + 0.5 if heading else size) + CELL_PADDING + 2

    def split(text: str) -> list[str]:
        # Words as a line breaks them: at spaces, not at the no-break spaces that keep a figure whole; Chinese
        # breaks between its characters, so "欧洲央行参考汇率" is not one word (UNBREAKABLE).
        return [w for part in re.split(r"[ \t\n]+", text) for w in UNBREAKABLE.findall(part)] or [""]

    def longest_word(column: int) -> float:
        words = [width(w, True) for w in split(columns[column])]
        return max(words + [width(w) for row in rows for w in split(row[column])])

    least = [longest_word(i) for i in range(len(columns))]
    natural = [max([width(columns[i], True)] + [width(row[i]) for row in rows]) for i in range(len(columns))]
    if sum(natural) <= total:
        return [w * total / sum(natural) for w in natural]
    if sum(least) >= total:
        return [w * total / sum(least) for w in least]
    spare = total - sum(least)
    extra = [n - m for n, m in zip(natural, least, strict=True)]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def grid(table: Table) -> Table:
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE_GREY),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def table_of(header: list[str], rows: list[list], widths, st: dict) -> Table:
    """A table with a header row repeated on every page. A row moves whole to the next page; only a table with
    a row taller than a page splits rows, as reportlab's split inside a row also repeats the header mid-page."""
    head = [Paragraph(markup(title), st["head_cell"]) for title in header]
    body = [[cell if isinstance(cell, list) else Paragraph(markup(cell), st["cell"]) for cell in row] for row in rows]
    split_rows = any(row_height(row, widths) > TEXT_HEIGHT - row_height(head, widths) for row in body)
    return grid(Table([head, *body], colWidths=widths, repeatRows=1, splitInRow=int(split_rows)))


def row_height(cells: list, widths) -> float:
    """A row's height as the table will lay it out: its tallest cell, paragraphs and spacing, with padding."""

    def height(cell, width: float) -> float:
        flowables = cell if isinstance(cell, list) else [cell]
        return sum(f.wrap(width - CELL_PADDING, TEXT_HEIGHT)[1] + f.getSpaceAfter() for f in flowables)

    return max(height(cell, width) for cell, width in zip(cells, widths, strict=True)) + 7


def outputs_table(section: Section, st: dict, font: str) -> Table:
    first = first_column_width([output.title for output in section.outputs], font)
    labels = [section.words(status.label) for status in OutputStatus]
    status = max(stringWidth(label, font, CELL_SIZE) for label in labels) + CELL_PADDING + 4
    rows = [
        [output.title, section.words(output.status_label), text_block(output.details, st["cell"], empty=" ")]
        for output in section.outputs
    ]
    header = [section.words(word) for word in OUTPUTS_HEADER]
    return table_of(header, rows, (first, status, TEXT_WIDTH - first - status), st)


def annex_table(table: AnnexTable, st: dict, font: str) -> list:
    # A page break rather than keep-with-next: a long table would carry its title onto a page of its own.
    story = [CondPageBreak(3 * cm), Paragraph(markup(table.title), st["h3_loose"])]
    if not table.rows:
        return story + [Paragraph(markup(table.empty), st["body"])]
    widths = column_widths(table.columns, table.rows, TEXT_WIDTH, font, CELL_SIZE)
    story.append(table_of(table.columns, table.rows, widths, st))
    if table.note:
        story.append(Paragraph(markup(table.note), st["small"]))
    return story


def rates_annex(section: Section, st: dict) -> list:
    story = [CondPageBreak(4 * cm), Paragraph(markup(section.words(RATES_HEADING)), st["h2_loose"])]
    policy = section.conversion_policy or section.words(NO_CONVERSION)
    currency = section.words(REPORTING_CURRENCY, currency=section.reporting_currency)
    story.append(Paragraph(markup(f"{currency} {policy}"), st["body"]))
    if not section.rates_used:
        story.append(Paragraph(markup(section.words(NO_RATE)), st["body"]))
        return story
    rows = [
        [f"1 {rate.base} = {rate.rate} {rate.quote}", rate.effective_on, rate.source, rate.reference]
        for rate in section.rates_used
    ]
    widths = (TEXT_WIDTH * 0.3, TEXT_WIDTH * 0.15, TEXT_WIDTH * 0.25, TEXT_WIDTH * 0.3)
    story.append(table_of([section.words(word) for word in RATES_HEADER], rows, widths, st))
    return story


def section_story(section: Section, st: dict, font: str) -> list:
    flow = [
        Paragraph(markup(section.words(AREA_HEADING)), st["h1"]),
        HRFlowable(width="100%", thickness=1.2, color=ACCENT, spaceBefore=0, spaceAfter=8),
    ]
    if section.is_working_copy:
        flow.append(Paragraph(f"<b>{markup(section.working_copy_label)}</b>", st["label"]))
    flow += [
        Paragraph(
            f'<font color="{ACCENT.hexval()}">{markup(section.words(OUTCOME_LABEL))}</font> {markup(section.outcome)}',
            st["body"],
        ),
        Spacer(1, 4),
        outputs_table(section, st, font),
        Paragraph(markup(section.words(NARRATIVE_HEADING)), st["h2"]),
    ]
    for _, heading, text in section.narrative.parts():
        flow.append(Paragraph(markup(section.words(heading)), st["label"]))
        flow.extend(text_block(text, st["body"], empty="—"))
    flow.append(CondPageBreak(4 * cm))
    flow.append(Paragraph(markup(section.words(KEY_FIGURES_HEADING)), st["h2"]))
    flow.extend(text_block(section.key_figures, st["body"], empty="—"))
    if section.annex:
        flow += [CondPageBreak(5 * cm), Paragraph(markup(section.words(ANNEX_HEADING)), st["h2_loose"])]
        for table in section.annex:
            flow.extend(annex_table(table, st, font))
    flow.extend(rates_annex(section, st))
    return flow


def numbered_canvas(header: list[str], font: str, page_of: str = PAGE_OF):
    """A canvas that holds its pages until the end, so each can say "Page N of M", under a running header: the
    centre's official name and, beneath it, the report and its status (draft or submitted). Each header line is
    Paragraph markup (``markup``), so a name prints in any script."""
    header_style = ParagraphStyle("running_header", fontName=font, fontSize=8, leading=10, textColor=MUTED)

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
            self.setFillColor(MUTED)
            self.setFont(font, 8)
            for line, text in enumerate(header):
                running = Paragraph(text, header_style)
                running.wrapOn(self, TEXT_WIDTH, 1 * cm)
                running.drawOn(self, MARGIN, height - 1.05 * cm - line * 10 - 2)
            self.setStrokeColor(RULE_GREY)
            rule = height - 1.25 * cm - (len(header) - 1) * 10
            self.line(MARGIN, rule, width - MARGIN, rule)
            self.drawRightString(width - MARGIN, 1.1 * cm, page_of % {"number": number, "total": total})

    return NumberedCanvas


@contextmanager
def noting_unprintable() -> Iterator[set[str]]:
    """The characters ``markup`` met while the story was built that no font has (for ``unprintable_note``)."""
    found: set[str] = set()
    token = _unprintable.set(found)
    try:
        yield found
    finally:
        _unprintable.reset(token)


def build(story: list, header: list[str], title: str, author: str, font: str, page_of: str = PAGE_OF) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        subject="TSCC biennial report",
    )
    document.build(story, canvasmaker=numbered_canvas(header, font, page_of))
    return buffer.getvalue()


def render_pdf(section: Section) -> bytes:
    font = register_pdf_font()
    st = styles(font)
    with noting_unprintable() as unprintable:
        story = section_story(section, st, font)
        header = [markup(section.running_header), markup(section.status_line)]
    story += unprintable_note(unprintable, st["small"])
    title = f"{section.words(AREA_HEADING)} — {section.centre_code} {section.period_label}"
    return build(story, header, title, section.official_name, font, section.words(PAGE_OF))
