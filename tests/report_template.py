# ruff: noqa: E501 - the reports' own sentences, kept whole
"""Word reports built the way the centres' 2025-2026 reports are (../shared/reports): the template's parts and
areas in their order, each area's outcome, its Outputs | Status | Details table (cells closing on "150 words")
and its narrative up to "500 words", Part III's achievements and challenges, a page header, a style of the
centre's own and tracked changes (w:ins, w:del) here and there, so that a test can check that filling area 3
leaves all of that as it was."""

import io
import itertools

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt

_ids = itertools.count(100)
HEADER = "DRAFT – TSCC Reporting Template (2025-2026)"
AREA_3 = "3. Partnership development and resource mobilization"
NARRATIVE = "What has worked well, ongoing challenges and possible solutions"


def tracked(paragraph, inserted: str, deleted: str, author: str = "GCE reviewer") -> None:
    """A reviewer's insertion and deletion, as Word records them with "Track changes" on."""
    paragraph._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="{next(_ids)}" w:author="{author}" w:date="2026-04-20T10:00:00Z">'
            f'<w:r><w:t xml:space="preserve"> {inserted}</w:t></w:r></w:ins>'
        )
    )
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="{next(_ids)}" w:author="{author}" w:date="2026-04-20T10:01:00Z">'
            f'<w:r><w:delText xml:space="preserve"> {deleted}</w:delText></w:r></w:del>'
        )
    )


def outputs_table(document, rows: list[tuple[str, str, list[str]]]) -> None:
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("Outputs", "Status", "Details"), strict=True):
        cell.paragraphs[0].add_run(title).bold = True
    for output, status, details in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(output)
        cells[1].paragraphs[0].add_run(status)
        cells[2].paragraphs[0].add_run(details[0])
        for block in details[1:]:
            cells[2].add_paragraph(block)
        cells[2].add_paragraph().add_run("150 words").italic = True
    widths = (Cm(3.8), Cm(2.8), Cm(10.4))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def area(document, heading: str, outcome: str, rows, narrative: list[str]) -> None:
    document.add_heading(heading, level=2)
    outcome_paragraph = document.add_paragraph()
    label, _, text = outcome.partition(": ")
    outcome_paragraph.add_run(label + ": ").bold = True
    outcome_paragraph.add_run(text)
    outputs_table(document, rows)
    document.add_paragraph(NARRATIVE, style="Heading 3")
    for line in narrative:
        bold = line.endswith(":")
        document.add_paragraph(style="TSCC Body").add_run(line).bold = bold
    document.add_paragraph("500 words", style="TSCC Body").runs[0].italic = True


def report(name: str, parts: dict) -> bytes:
    document = Document()
    body = document.styles.add_style("TSCC Body", WD_STYLE_TYPE.PARAGRAPH)
    body.font.size = Pt(11)
    body.paragraph_format.space_after = Pt(6)
    document.sections[0].header.paragraphs[0].text = HEADER
    document.add_paragraph(f"Name of the TSCC: {name}")
    document.add_paragraph("Period covered by the report: 2025-2026")
    document.add_paragraph("Date of submission: 2026 April 30th")
    document.add_heading("Part I. Background on the TSCC", level=1)
    intro = document.add_paragraph(parts["introduction"], style="TSCC Body")
    tracked(intro, "as reviewed", "draft wording")
    document.add_heading("Part II. Report on outcomes", level=1)
    document.add_paragraph("Add as many rows as necessary in each table.", style="List Bullet")
    document.add_paragraph("Attach relevant supporting documentation in annex.", style="List Bullet")
    for heading, outcome, rows, narrative in parts["areas"]:
        area(document, heading, outcome, rows, narrative)
    document.add_heading("5. Additional information (optional)", level=2)
    document.add_paragraph("500 words", style="TSCC Body")
    document.add_heading("Part III. Summary of key achievements and challenges", level=1)
    document.add_heading("1. Key achievements during the 2025-2026 biennium", level=2)
    for title, text in parts["achievements"]:
        document.add_paragraph(title, style="Heading 3")
        document.add_paragraph(text, style="TSCC Body")
        document.add_paragraph("150 words", style="TSCC Body")
    document.add_heading("2. Main challenges during the 2025-2026 biennium and way forward", level=2)
    for title, text in parts["challenges"]:
        document.add_paragraph(title, style="Heading 3")
        challenge = document.add_paragraph(text, style="TSCC Body")
        tracked(challenge, "(to be discussed with the GCE)", "heavily")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


NIES_AREA_1 = (
    "1. Operationalization of the TSCC",
    "Outcome 1: Operationalization of TSCC NIES initiated",
    [
        (
            "Signing of the host agreement",
            "In progress",
            ["The initial draft Memorandum of Agreement (MoA) was prepared by the CBD Secretariat in May 2025."],
        ),
        (
            "Organizational structure",
            "In progress",
            ["At present, TSCC NIES has 1 full-time and 2 part-time staff members."],
        ),
    ],
    [
        "What worked well:",
        "1. The communication and revision process of the MoA proceeded smoothly.",
        "Challenges:",
        "1. The signing of the MoA is yet to be completed.",
    ],
)
NIES_AREA_3 = (
    AREA_3,
    "Outcome 3: TSCC NIES has initiated the development of partnerships and started to identify and develop sustainable resource mobilization sources.",
    [
        (
            "Partnerships development",
            "In progress",
            [
                "TSCC NIES has initiated engagement with a diverse range of partners, including international organizations, research institutions, and non-governmental organizations.",
                "Acting as a bridge, TSCC NIES will leverage the TSC network to connect its partners with developing countries.",
            ],
        ),
        (
            "Project proposals submitted",
            "In progress",
            [
                "Five project proposals have been submitted to various funding mechanisms, and two additional proposals are currently under preparation."
            ],
        ),
        (
            "Resources mobilized",
            "In progress",
            [
                "At present, it has mobilized NIES to allocate RMB 500,000 for the daily operation of the TSCC NIES and RMB 400,000 for holding the first Steering Committee meeting."
            ],
        ),
        (
            "Resource mobilization strategy",
            "In progress",
            ["A resource mobilization strategy is being developed to diversify funding sources."],
        ),
        (
            "Additional result(s)",
            "",
            ["The database covers more than 120 Chinese experts and over 40 foreign experts."],
        ),
    ],
    [
        "What worked well:",
        "1. In terms of partnership building, relying on the cooperation network of NIES, TSCC NIES has actively communicated and engaged with institutions.",
        "Challenges:",
        "1. In terms of partnership building, cooperation models still need further exploration.",
        "Possible solutions:",
        "1. In terms of partnership building, it is necessary to further deepen substantive cooperation with relevant partners.",
    ],
)
NIES_AREA_4 = (
    "4. Technical and scientific cooperation and technology transfer",
    "Outcome 4: TSCC NIES plans capacity building and development activities to support the implementation of the KMGBF",
    [
        (
            "Expert pool development",
            "In progress",
            ["TSCC NIES, together with the CSES, jointly established an international expert database."],
        )
    ],
    ["What worked well:", "1. TSCC NIES has launched three new science and technology cooperation projects."],
)

NIES = {
    "introduction": "At present, TSCC NIES serves four Parties, Cambodia, China, Nepal and Pakistan.",
    "areas": [
        NIES_AREA_1,
        (
            "2. Visibility and responsiveness",
            "Outcome 2: Enhance the visibility and recognition of TSCC NIES",
            [
                (
                    "Development of communications strategy and products",
                    "In progress",
                    ["TSCC NIES contributed to international platforms."],
                )
            ],
            ["What worked well:", "1. Communication channels with Served Parties have been initially established."],
        ),
        NIES_AREA_3,
        NIES_AREA_4,
    ],
    "achievements": [
        (
            "Achievement 1: The operational framework of TSCC NIES has been initially established",
            "TSCC NIES has successfully established its operational foundation framework.",
        ),
        (
            "Achievement 2: Regional visibility and TSC mechanism awareness have been significantly enhanced.",
            "Through engagement in at least 5 international events, TSCC NIES has enhanced its visibility.",
        ),
        (
            "Achievement 3: Partnership network and resource mobilization mechanism have been initially established",
            "TSCC NIES has initiated the development of a multi-level partnership network, engaging at least 14 institutions.",
        ),
    ],
    "challenges": [
        ("Challenge 1: Lack of funding", "TSCC NIES is facing challenges in resource mobilization and fundraising."),
        (
            "Challenge 2: Lack of in-depth engagement in regional cooperation",
            "TSCC NIES lacks in-depth engagement in regional cooperation.",
        ),
    ],
}

CA = {
    "introduction": "Official launch date of CA TSCC February, 17 2026.",
    "areas": [
        (
            "1. Operationalization of the TSCC",
            "Outcome 1: Insert outcome 1 of workplan",
            [
                (
                    "Host agreement signed",
                    "Completed",
                    [
                        "IUCN has formally signed a Host Agreement with the Secretariat of the CBD on 17 February in Rome."
                    ],
                )
            ],
            [
                "Please use this space to share what has worked well and what has not under this area of work, as well as possible solutions to ongoing challenges."
            ],
        ),
        (
            AREA_3,
            "Outcome X: Insert outcome from workplan (Ex.: The TSCC initiates partnership development.)",
            [
                (
                    "Partnerships developed",
                    "In progress",
                    ["Negotiations are underway with the main partner for the TSCC - RECCA."],
                ),
                (
                    "Project proposals submitted",
                    "Not started",
                    ["No applications have been submitted for the TSCC's development projects."],
                ),
                (
                    "Resources mobilized",
                    "In progress",
                    ["The initial list of possible consultants for the TSCC's work has been determined."],
                ),
            ],
            [
                "Please use this space to share what has worked well and what has not under this area of work, as well as possible solutions to ongoing challenges."
            ],
        ),
    ],
    "achievements": [
        (
            "Achievement 1: Support from Parties",
            "During the negotiations with the Russian Federation, a preliminary agreement was reached.",
        ),
        ("Achievement 2: NBSAP", "ECARO experts were actively involved in the development of the NBSAP in Kazakhstan."),
    ],
    "challenges": [
        (
            "Challenge 2: Lack of finances",
            "Currently, the TSCC reports on its work based on the results from the projects.",
        )
    ],
}


def nies_report() -> bytes:
    return report("Nanjing Institute of Environmental Sciences, Ministry of Ecology and Environment", NIES)


def ca_report() -> bytes:
    return report("Subregional Technical and Scientific Cooperation Support Centre for Central Asia (TSCC-CA)", CA)
