"""The three forms a section is exported in; each renderer takes a ``Section`` and returns bytes."""

from flask import render_template

from crm.reports.docx import render_docx
from crm.reports.pdf import render_pdf
from crm.reports.section import Section

FORMATS = ("pdf", "docx", "html")
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


def render_html(section: Section) -> bytes:
    """A plain, self-contained document (no styles, no links) that pastes cleanly into a word processor."""
    return render_template("reports/document.html", section=section).encode()


def render(section: Section, fmt: str) -> tuple[bytes, str]:
    renderer = {"pdf": render_pdf, "docx": render_docx, "html": render_html}[fmt]
    return renderer(section), MIMETYPES[fmt]


def filename(record, fmt: str) -> str:
    if record.is_working_copy:
        return f"{record.centre.code}-{record.period.label}-resource-mobilisation-working-copy-{record.language}.{fmt}"
    return f"{record.centre.code}-{record.period.label}-resource-mobilisation-rev{record.revision}.{fmt}"
