"""The text a reader gets out of an exported PDF (as ``pdftotext -layout`` reads it) or Word file (paragraphs,
then table cells), for tests that check what an export says."""

import io
import subprocess

from docx import Document


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "exported.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)
