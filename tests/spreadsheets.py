"""Real spreadsheet files for the import tests, built here: workbooks, CSV text, and hostile files."""

import csv
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with a sheet per entry (title → rows, the first one the headers)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], delimiter: str = ",", encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    return (("\ufeff" + text) if bom else text).encode(encoding)


def sheet_rows(content: bytes, sheet: str | None = None) -> list[list]:
    book = load_workbook(io.BytesIO(content))
    worksheet = book[sheet] if sheet else book.worksheets[0]
    return [list(row) for row in worksheet.iter_rows(values_only=True)]


def replaced_part(content: bytes, name: str, data: bytes) -> bytes:
    """The workbook with one of its parts replaced by ``data``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, data if item.filename == name else source.read(item.filename))
    return buffer.getvalue()


def billion_laughs() -> bytes:
    """A workbook whose sheet declares entities that expand each other tenfold, ten times over."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">' for i in range(1, 10)
    ]
    sheet = (
        '<?xml version="1.0"?>\n<!DOCTYPE worksheet [' + "".join(entities) + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    ).encode()
    return replaced_part(xlsx({"Experts": [["Name"], ["x"]]}), "xl/worksheets/sheet1.xml", sheet)


def zip_bomb(megabytes: int = 8) -> bytes:
    """A workbook whose sheet inflates from a few kilobytes to ``megabytes`` MB of blanks."""
    base = zipfile.ZipFile(io.BytesIO(xlsx({"Experts": [["Name"], ["x"]]})))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in base.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item.filename, base.read(item.filename))
        with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                sheet.write(chunk)
    return buffer.getvalue()


LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


def libreoffice_convert(path: Path, out: Path, target: str, infilter: str = "") -> Path:
    """``path`` opened and saved by LibreOffice (headless, in a profile of its own) as ``target`` (a
    ``--convert-to`` argument) into the folder ``out``; the file it wrote."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            LIBREOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(profile)},
    )
    shutil.rmtree(profile, ignore_errors=True)
    return out / f"{path.stem}.{target.split(':')[0]}"


def libreoffice_csv(path: Path, out: Path) -> str:
    """``path`` opened and saved as CSV (UTF-8) by LibreOffice, as a user opening the file would see its cells (a CSV
    file opened as its import dialog offers it: UTF-8, commas)."""
    infilter = "CSV:44,34,76,1" if path.suffix == ".csv" else ""
    saved = libreoffice_convert(path, out, "csv:Text - txt - csv (StarCalc):44,34,76,1", infilter)
    return saved.read_text(encoding="utf-8")


def libreoffice_xlsx(path: Path, out: Path) -> bytes:
    """``path`` opened in LibreOffice and saved again as an Excel workbook, as a user editing it there would."""
    return libreoffice_convert(path, out, "xlsx:Calc MS Excel 2007 XML").read_bytes()
