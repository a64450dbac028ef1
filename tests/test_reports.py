"""The resource-mobilisation section: drafting, editing, redrafting, freezing, exports and the CLI."""

import io
import re
import subprocess

import pytest
import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn

from crm.audit.models import AuditEntry
from crm.auth.models import Role
from crm.extensions import db
from crm.reports import services
from crm.reports.docx import render_docx
from crm.reports.pdf import render_pdf
from crm.reports.section import Narrative, Output, Section, word_count

CYRILLIC = "Региональный экологический центр Центральной Азии"
CHINESE = "南京环境科学研究所"


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "section.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


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
    data = services.section_data(section)
    assert "No partnerships are recorded" in data.outputs[0].details
    assert "No project proposals have been submitted" in data.outputs[1].details
    assert data.rates_used == []


def test_word_counts_count_words_and_chinese_characters():
    assert word_count("") == 0
    assert word_count("Five project proposals were submitted.") == 5
    assert word_count("南京 institute") == 3
    long = plain_section(outputs=[Output("Row", "in_progress", "word " * 151)])
    assert long.outputs[0].word_count.is_over
    assert not plain_section().outputs[0].word_count.is_over
