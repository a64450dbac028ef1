"""Filling the section into the centre's own Word report, in place.

Staff write their biennial report in the template's Word file and submit that file. This module takes the file,
finds area 3 by its heading ("3. Partnership development and resource mobilization"), and replaces, inside it,
only what the section holds: the outcome paragraph, the rows of the outputs table (its header row kept), the
narrative under "What has worked well, ongoing challenges and possible solutions" (up to its "500 words"
line), and in Part III the paragraph of the achievement on partnerships and resource mobilization. Every other
paragraph, table, style, header, footer and tracked change (``w:ins``, ``w:del``) is left exactly as it was; the
replaced paragraphs keep the formatting of those they replace.

Plain bytes in and out: no database, no HTTP. ``fill_report(docx_bytes, section) -> Filled``.
"""

import copy
import io
import re
import zipfile
from dataclasses import dataclass, field

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from crm.core.text import printable
from crm.reports.section import OUTPUTS_HEADER, Section, paragraphs

AREA = re.compile(r"^(3\.?\s*)?partnership development and resource mobili[sz]ation$")
# What ends area 3: the next area, or Part III.
NEXT_PART = re.compile(r"^([4-9]|1\d)\.\s+\S|^part\s+(iii|iv|v)\b")
OUTCOME = re.compile(r"^outcome\b")
NARRATIVE = re.compile(r"^what has worked well")
WORD_COUNT = re.compile(r"^\d+\s+words$")
PART_III = re.compile(r"^part\s+iii\b")
ACHIEVEMENT = re.compile(r"^achievement\s+\d+\s*:")
ON_PARTNERSHIPS = re.compile(r"partnership|resource mobili[sz]ation")
CHALLENGES_PART = re.compile(r"^2\.\s+main challenges")
ITEM_NUMBER = re.compile(r"^\d+\.\s+")

P, TBL, R, T, TR, TC = (qn(tag) for tag in ("w:p", "w:tbl", "w:r", "w:t", "w:tr", "w:tc"))


class FillError(ValueError):
    """The file cannot be filled in; the message says why, for the user."""


@dataclass
class Filled:
    content: bytes
    notes: list[str] = field(default_factory=list)


def text_of(element) -> str:
    """A paragraph's (or cell's) text as Word shows it with changes accepted: inserted text in, deleted text out."""
    return "".join(node.text or "" for node in element.iter(T))


def normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).casefold()


def fill_report(data: bytes, section: Section) -> Filled:
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise FillError("This file could not be read as a Word document (.docx).") from error
    body = document.element.body
    blocks = list(body.iterchildren(P, TBL))
    start, end = area_bounds(blocks)
    notes = []
    area = blocks[start + 1 : end]
    notes.append(fill_outcome(area, section))
    table = outputs_table(area)
    if table is None:
        raise FillError(
            "Area 3 of this report has no outputs table (a table headed Outputs | Status | Details): it cannot be "
            "filled in. Check the file is made from the TSCC reporting template."
        )
    notes.append(fill_table(table, section))
    notes.append(fill_narrative(blocks, blocks.index(table), end, section))
    notes.append(fill_part_iii(list(body.iterchildren(P, TBL)), section))
    out = io.BytesIO()
    document.save(out)
    return Filled(out.getvalue(), [note for note in notes if note])


def area_bounds(blocks) -> tuple[int, int]:
    """The index of area 3's heading and of what ends the area (the next area or Part III)."""
    candidates = [i for i, block in enumerate(blocks) if block.tag == P and AREA.match(normal(text_of(block)))]
    for start in candidates:
        end = next(
            (
                i
                for i in range(start + 1, len(blocks))
                if blocks[i].tag == P and NEXT_PART.match(normal(text_of(blocks[i])))
            ),
            len(blocks),
        )
        if any(block.tag == TBL for block in blocks[start + 1 : end]):
            return start, end
    raise FillError(
        "No heading “3. Partnership development and resource mobilization” followed by its outputs table was found "
        "in this file: is it the report made from the TSCC reporting template?"
    )


# --- paragraphs rewritten in their own formatting --------------------------------------------------------------


def run_properties(paragraph, index: int = 0):
    runs = list(paragraph.iter(R))
    if not runs:
        return None
    properties = runs[min(index, len(runs) - 1)].find(qn("w:rPr"))
    return copy.deepcopy(properties) if properties is not None else None


def make_run(text: str, properties):
    run = OxmlElement("w:r")
    if properties is not None:
        run.append(copy.deepcopy(properties))
    # printable(): stored text may hold what XML cannot (a control character pasted from elsewhere).
    for number, line in enumerate(printable(text).split("\n")):
        if number:
            run.append(OxmlElement("w:br"))
        node = OxmlElement("w:t")
        node.text = line
        node.set(qn("xml:space"), "preserve")
        run.append(node)
    return run


def rewrite(paragraph, pieces: list[tuple[str, object]]) -> None:
    """The paragraph's content replaced by runs of (text, run properties); its own properties (style,
    numbering, spacing) kept."""
    for child in list(paragraph):
        if child.tag != qn("w:pPr"):
            paragraph.remove(child)
    for text, properties in pieces:
        paragraph.append(make_run(text, properties))


def paragraph_like(prototype, text: str, properties=None):
    """A new paragraph with the prototype's paragraph properties and the given (or its first) run formatting."""
    paragraph = OxmlElement("w:p")
    own = prototype.find(qn("w:pPr")) if prototype is not None else None
    if own is not None:
        paragraph.append(copy.deepcopy(own))
    rewrite(paragraph, [(text, properties if properties is not None else run_properties(prototype))])
    return paragraph


def replace_after(after, old: list, new: list) -> None:
    """``new`` paragraphs in place of ``old`` ones, which follow ``after``."""
    for paragraph in old:
        paragraph.getparent().remove(paragraph)
    for paragraph in new:
        after.addnext(paragraph)
        after = paragraph


# --- the outcome, the table, the narrative ---------------------------------------------------------------------


def fill_outcome(area, section: Section) -> str:
    paragraph = next((b for b in area if b.tag == P and OUTCOME.match(normal(text_of(b)))), None)
    if paragraph is None:
        return "outcome: no “Outcome …” paragraph in area 3, left as it was"
    runs = list(paragraph.iter(R))
    label_index = next((i for i, run in enumerate(runs) if ":" in text_of(run)), 0)
    label, text = run_properties(paragraph, label_index), run_properties(paragraph, label_index + 1)
    rewrite(paragraph, [("Outcome 3: ", label), (section.outcome, text)])
    return "outcome filled"


def outputs_table(area):
    for block in area:
        if block.tag != TBL:
            continue
        rows = block.findall(TR)
        if rows and [normal(text_of(tc)) for tc in rows[0].findall(TC)][:3] == [h.casefold() for h in OUTPUTS_HEADER]:
            return block
    return None


def fill_table(table, section: Section) -> str:
    rows = table.findall(TR)
    header, data = rows[0], rows[1:]
    prototype = next((row for row in data if len(row.findall(TC)) == 3), None)
    prototype = copy.deepcopy(prototype if prototype is not None else header)
    for row in data:
        table.remove(row)
    anchor = header
    for output in section.outputs:
        row = copy.deepcopy(prototype)
        for cell, value in zip(row.findall(TC), (output.title, output.status_label, output.details), strict=False):
            fill_cell(cell, value)
        anchor.addnext(row)
        anchor = row
    return f"outputs table: {len(section.outputs)} rows"


def fill_cell(cell, text: str) -> None:
    """The cell's paragraphs replaced by the text's, in the first paragraph's formatting; a closing "150 words" line
    of the template is kept."""
    cell_paragraphs = cell.findall(P)
    prototype = cell_paragraphs[0] if cell_paragraphs else None
    keep = cell_paragraphs[-1] if cell_paragraphs and WORD_COUNT.match(normal(text_of(cell_paragraphs[-1]))) else None
    new = [paragraph_like(prototype, block) for block in paragraphs(text) or [""]]
    for paragraph in cell_paragraphs:
        if paragraph is not keep:
            cell.remove(paragraph)
    for paragraph in new:
        if keep is not None:
            keep.addprevious(paragraph)
        else:
            cell.append(paragraph)


def fill_narrative(blocks, table_index: int, end: int, section: Section) -> str:
    if not any(text.strip() for _, _, text in section.narrative.parts()):
        return "narrative: the section has none, left as it was"
    heading = next(
        (i for i in range(table_index + 1, end) if blocks[i].tag == P and NARRATIVE.match(normal(text_of(blocks[i])))),
        None,
    )
    if heading is None:
        return "narrative: no “What has worked well…” heading after the table, left as it was"
    stop = next(
        (i for i in range(heading + 1, end) if blocks[i].tag != P or WORD_COUNT.match(normal(text_of(blocks[i])))),
        end,
    )
    old = blocks[heading + 1 : stop]
    headings = {h.casefold(): h for _, h, _ in section.narrative.parts()}
    part_prototype = next((b for b in old if normal(text_of(b)) in headings), None)
    item_prototype = next((b for b in old if text_of(b).strip() and normal(text_of(b)) not in headings), None)
    body = item_prototype if item_prototype is not None else blocks[heading]
    numbered = (
        item_prototype is not None
        and item_prototype.find(qn("w:pPr")) is not None
        and (item_prototype.find(qn("w:pPr")).find(qn("w:numPr")) is not None)
    )
    new = []
    for _, title, text in section.narrative.parts():
        if not text.strip():
            continue
        if part_prototype is not None:
            new.append(paragraph_like(part_prototype, title))
        else:
            bold = run_properties(body) if run_properties(body) is not None else OxmlElement("w:rPr")
            bold.append(OxmlElement("w:b"))
            new.append(paragraph_like(body, title, bold))
        for block in paragraphs(text):
            # The template's own list numbering, where it has one, numbers the points: no second "1.".
            new.append(paragraph_like(body, ITEM_NUMBER.sub("", block) if numbered else block))
    replace_after(blocks[heading], old, new)
    return f"narrative: {len(new)} paragraphs"


# --- Part III --------------------------------------------------------------------------------------------------


def fill_part_iii(blocks, section: Section) -> str:
    start = next((i for i, b in enumerate(blocks) if b.tag == P and PART_III.match(normal(text_of(b)))), None)
    if start is None:
        return "Part III: not found, left as it was"
    if not section.key_figures.strip():
        return "Part III: the section has no key achievement, left as it was"
    titles = [
        i for i in range(start + 1, len(blocks)) if blocks[i].tag == P and ACHIEVEMENT.match(normal(text_of(blocks[i])))
    ]
    title = next((i for i in titles if ON_PARTNERSHIPS.search(normal(text_of(blocks[i])))), None)
    if title is None:
        return "Part III: no achievement on partnerships or resource mobilization, left as it was"

    def ends(i: int) -> bool:
        text = normal(text_of(blocks[i]))
        return blocks[i].tag != P or bool(
            WORD_COUNT.match(text) or ACHIEVEMENT.match(text) or CHALLENGES_PART.match(text)
        )

    stop = next((i for i in range(title + 1, len(blocks)) if ends(i)), len(blocks))
    old = blocks[title + 1 : stop]
    prototype = next((b for b in old if text_of(b).strip()), old[0] if old else blocks[title])
    replace_after(blocks[title], old, [paragraph_like(prototype, block) for block in paragraphs(section.key_figures)])
    return f"Part III: “{text_of(blocks[title]).strip()}” filled"


def filled_name(original: str | None) -> str:
    stem = re.sub(r"\.docx$", "", (original or "report").rsplit("/", 1)[-1], flags=re.IGNORECASE) or "report"
    return f"{stem} (area 3 filled).docx"
