"""The three forms a section is exported in; each renderer takes a ``Section`` and returns bytes."""

import re
import unicodedata
from urllib.parse import quote

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
    return f"{record.centre.code}-{record.period.label}-resource-mobilisation-rev{record.revision}.{fmt}"


def disposition(name: str, inline: bool = False) -> str:
    """A Content-Disposition header for any file name (RFC 6266): an ASCII fallback, and the name itself in
    ``filename*`` (RFC 5987), so that a period written "2027–2028" or with quotes makes a valid header."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    fallback = re.sub(r"-+(?=\.)", "", re.sub(r"[^A-Za-z0-9._]+", "-", plain)).strip("-") or "download"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
