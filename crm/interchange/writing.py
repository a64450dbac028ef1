"""Spreadsheets written: exports (CSV and XLSX, streamed), import templates, and the marked-up copy of a file.

The formula rule (OWASP, "CSV injection"): a text cell that a spreadsheet would run as a formula — one whose
text, after any leading apostrophes, starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a
line feed — is neutralised in every file written here:

- in CSV, one apostrophe is put before it ("=HYPERLINK(…)" is written "'=HYPERLINK(…)"), which a
  spreadsheet shows as text;
- in XLSX, the cell is a text cell (never a formula cell: openpyxl would otherwise make "=…" one) marked
  with the quote prefix, Excel's own apostrophe, so the text shows as typed and stays text when edited.

Reading a CSV file applies the rule backwards (``unquote``): one leading apostrophe before such a text is
dropped, so that an exported file imported again gives back exactly what was exported (an XLSX cell's value
was never changed).

Values are written as what they are: numbers as numbers (an amount with its currency's ISO 4217 minor
units as the number format), dates as dates, text as text. ``table_response`` turns any rows of plain
values into a streamed download, for every list and table that offers one.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from crm.money.currencies import minor_units

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
# What a spreadsheet keeps exactly: longer numbers are written as text, so that they come back intact.
EXACT_DIGITS = 15
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
ERROR_FILL = PatternFill("solid", fgColor="F8D0D0")
WARNING_FILL = PatternFill("solid", fgColor="FFF0B3")
HEADER_FILL = PatternFill("solid", fgColor="DDE8E0")
BOLD = Font(bold=True)


def looks_like_formula(text: str) -> bool:
    return text.lstrip("'")[:1] in FORMULA_TRIGGERS and text[:1] in (*FORMULA_TRIGGERS, "'")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell: an apostrophe before what a spreadsheet would run as a formula."""
    return "'" + text if text and looks_like_formula(text) else text


def unquote(text: str) -> str:
    """What ``neutralise`` was given: one leading apostrophe dropped before a formula-like text."""
    return text[1:] if text.startswith("'") and looks_like_formula(text) else text


@dataclass(frozen=True)
class Amount:
    """An amount of money for a cell: a number shown with its currency's minor units (the currency has its own
    column)."""

    value: Decimal
    currency: str


def attachment(filename: str) -> str:
    """A Content-Disposition header for ``filename`` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def table_response(headers: Sequence[str], rows: Iterable[Sequence], fmt: str, filename: str, sheet: str = "Export"):
    """A download of ``rows`` (sequences of plain values: str, int, Decimal, ``Amount``, date, datetime, bool, None)
    under ``headers``, as CSV (the rows read now, then streamed as text) or XLSX (written row by row, openpyxl keeping
    no rows in memory, then sent from the finished file: a workbook cannot be sent before its end is written)."""
    mimetype, extension = FORMATS[fmt]
    name = f"{filename}.{extension}"
    if fmt == "csv":
        # Read inside the request: a server reads the body after the request's app context, and with it the
        # session the records and the reader were loaded by, is gone (DetachedInstanceError under gunicorn).
        response = Response(csv_chunks(headers, list(rows)), mimetype=mimetype)
        response.headers["Content-Disposition"] = attachment(name)
        return response
    return send_xlsx(lambda handle: write_xlsx(handle, [(sheet, headers, rows)]), name)


def send_xlsx(write: Callable, name: str):
    """The XLSX file ``write(handle)`` writes, as a download. Sent from memory (the file, not its rows), so that no
    file handle outlives a response a client never reads to the end."""
    handle = io.BytesIO()
    write(handle)
    handle.seek(0)
    return send_file(handle, mimetype=FORMATS["xlsx"][0], as_attachment=True, download_name=name)


# --- CSV ---------------------------------------------------------------------------------------------------


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Amount):
        return format(_in_minor_units(value), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return _naive(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(_legal(str(value)))


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence], every: int = 500) -> Iterator[bytes]:
    """UTF-8 with a BOM (so that Excel reads Chinese and Cyrillic right), comma-separated, in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(header) for header in headers])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_text(value) for value in row])
        if count % every == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


# --- XLSX --------------------------------------------------------------------------------------------------


class CellWriter:
    """Plain values as cells of one write-only sheet, with one style object per number format."""

    def __init__(self, sheet):
        self.sheet = sheet

    def cell(self, value, fill=None, comment: str | None = None):
        if fill is None and comment is None and _plain(value):
            return value
        cell = WriteOnlyCell(self.sheet)
        self._fill(cell, value)
        if fill is not None:
            cell.fill = fill
        if comment:
            cell.comment = Comment(comment[:2000], "TSCC CRM", width=320, height=120)
        return cell

    def row(self, values: Sequence) -> list:
        return [self.cell(value) for value in values]

    def _fill(self, cell, value) -> None:
        if isinstance(value, Amount):
            number = _in_minor_units(value)
            if _too_long_for_a_number(number):
                cell.value = format(number, "f")
                return
            cell.value = number
            cell.number_format = minor_unit_format(value.currency)
        elif isinstance(value, datetime):
            cell.value = _naive(value)
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = DATE_FORMAT
        elif isinstance(value, Decimal) and _too_long_for_a_number(value):
            cell.value = format(value, "f")
        elif isinstance(value, str):
            text = _legal(value)
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if looks_like_formula(text):
                cell.quotePrefix = True
        else:
            cell.value = value


def _plain(value) -> bool:
    """A value openpyxl writes right by itself, without a style: most of an export's cells."""
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, Decimal):
        return not _too_long_for_a_number(value)
    return isinstance(value, str) and not looks_like_formula(value) and not ILLEGAL_CHARACTERS_RE.search(value)


def write_xlsx(handle, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """A workbook of (sheet title, headers, rows), each row written into the zip as it comes: memory stays flat
    whatever the number of rows.

    Written here rather than through openpyxl, whose write-only mode spends some 20 µs a cell (40 s for the
    ledger's 100,000 entries): the sheets are plain SpreadsheetML, text as inline strings, one style per number
    format, and read back by openpyxl, Excel and LibreOffice alike (the tests read every export)."""
    sheets = list(sheets)
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        titles = [sheet_title(title) for title, _, _ in sheets]
        for name, text in _workbook_parts(titles).items():
            archive.writestr(name, text)
        for number, (_, headers, rows) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                for chunk in _sheet_xml(headers, rows):
                    part.write(chunk.encode())


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles of the exports, by index: the default, the header, a date, a date and time, text kept as text
# (the quote prefix), then an amount with 0 to 4 decimals (its currency's minor units).
HEADER_STYLE, DATE_STYLE, DATETIME_STYLE, QUOTED_STYLE, AMOUNT_STYLES = 1, 2, 3, 4, 5
EXCEL_EPOCH = date(1899, 12, 30)


def _workbook_parts(titles: list[str]) -> dict[str, str]:
    count = len(titles)
    sheets = "".join(
        f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    amounts = "".join(
        f'<numFmt numFmtId="{166 + digits}" formatCode="#,##0{"." + "0" * digits if digits else ""}"/>'
        for digits in range(5)
    )
    amount_xfs = "".join(
        f'<xf numFmtId="{166 + d}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>' for d in range(5)
    )
    return {
        "[Content_Types].xml": XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>",
        "_rels/.rels": XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": XML_HEAD
        + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{sheets}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": XML_HEAD
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{links}<Relationship Id="rId{count + 1}" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": XML_HEAD + f'<styleSheet xmlns="{MAIN_NS}">'
        f'<numFmts count="7"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
        f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/>{amounts}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE8E0"/></patternFill></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="10"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
        f"{amount_xfs}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }


def _sheet_xml(headers: Sequence[str], rows: Iterable[Sequence], every: int = 500) -> Iterator[str]:
    width = max(len(headers), 1)
    letters = [get_column_letter(n) for n in range(1, MAX_EXPORT_COLUMNS + 1)]
    yield (
        XML_HEAD + f'<worksheet xmlns="{MAIN_NS}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<cols><col min="1" max="{width}" width="18" customWidth="1"/></cols><sheetData>'
    )
    header = "".join(_text_cell(f"{letters[i]}1", str(text), HEADER_STYLE) for i, text in enumerate(headers))
    chunk = [f'<row r="1">{header}</row>']
    for number, row in enumerate(rows, start=2):
        cells = "".join(_xml_cell(f"{letters[i]}{number}", value) for i, value in enumerate(row) if value not in BLANK)
        chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) >= every:
            yield "".join(chunk)
            chunk = []
    chunk.append("</sheetData></worksheet>")
    yield "".join(chunk)


MAX_EXPORT_COLUMNS = 200
BLANK = (None, "")  # written as no cell at all


def _xml_cell(ref: str, value) -> str:
    if isinstance(value, str):
        return _text_cell(ref, value, QUOTED_STYLE if looks_like_formula(value) else 0)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, Amount):
        number = _in_minor_units(value)
        places = -number.as_tuple().exponent
        if _too_long_for_a_number(number):
            return _text_cell(ref, format(number, "f"), 0)
        style = f' s="{AMOUNT_STYLES + places}"' if 0 <= places <= 4 else ""
        return f'<c r="{ref}"{style}><v>{format(number, "f")}</v></c>'
    if isinstance(value, Decimal):
        if _too_long_for_a_number(value):
            return _text_cell(ref, format(value, "f"), 0)
        return f'<c r="{ref}"><v>{format(value, "f")}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        moment = _naive(value)
        serial = (moment - datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="{DATETIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    return _text_cell(ref, str(value), 0)


def _text_cell(ref: str, text: str, style: int) -> str:
    text = _legal(text)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{escape(text)}</t></is></c>'


def minor_unit_format(currency: str) -> str:
    digits = minor_units(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


def _in_minor_units(amount: Amount) -> Decimal:
    unit = Decimal(1).scaleb(-minor_units(amount.currency))
    value = amount.value
    # Stored amounts carry at most the minor units (storage may add zeros); a derived figure with more is kept whole.
    return value.quantize(unit) if value == value.quantize(unit) else value


def _too_long_for_a_number(value: Decimal) -> bool:
    return value.is_finite() and len(value.normalize().as_tuple().digits) > EXACT_DIGITS


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _legal(text: str) -> str:
    """Characters an XLSX file cannot hold (control characters) as U+FFFD, so that nothing vanishes unseen."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"


# --- templates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    required: bool
    holds: str  # what the column holds, in words
    allowed: str  # allowed values or format, in words
    example: object
    choices: tuple[str, ...] = ()  # codes, for a drop-down list when short


@dataclass(frozen=True)
class TemplateSheet:
    title: str
    about: str
    columns: tuple[TemplateColumn, ...]


def write_template(handle, sheets: Sequence[TemplateSheet], formats: Sequence[tuple[str, str]], rows: int) -> None:
    """An empty sheet per register (headers, explained in a comment each, drop-downs for short choices), and a
    Notes sheet: every column, its allowed values, an example row, and the formats read."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title))
        for index, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=1, column=index, value=column.header)
            cell.font, cell.fill = BOLD, HEADER_FILL
            cell.comment = Comment(f"{column.holds}\n{column.allowed}"[:2000], "TSCC CRM", width=300, height=140)
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(column.header) + 6))
            _drop_down(sheet, column, index, rows)
        sheet.freeze_panes = "A2"
    notes = book.create_sheet("Notes")
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["B"].width = 11
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 70
    notes.column_dimensions["E"].width = 30
    line = 1
    for spec in sheets:
        line = _notes_for(notes, spec, line)
    notes.cell(row=line, column=1, value="Formats read").font = Font(bold=True, size=13)
    for what, rule in formats:
        line += 1
        notes.cell(row=line, column=1, value=what).font = BOLD
        _wrapped(notes.cell(row=line, column=3, value=rule))
    book.save(handle)


def _drop_down(sheet, column: TemplateColumn, index: int, rows: int) -> None:
    listed = ",".join(column.choices)
    if column.choices and len(listed) < 250:
        letter = get_column_letter(index)
        check = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=False)
        check.add(f"{letter}2:{letter}{rows + 1}")
        sheet.add_data_validation(check)


def _notes_for(notes, spec: TemplateSheet, line: int) -> int:
    notes.cell(row=line, column=1, value=spec.title).font = Font(bold=True, size=13)
    _wrapped(notes.cell(row=line, column=3, value=spec.about))
    line += 1
    for index, header in enumerate(("Column", "Required", "What it holds", "Allowed values", "Example"), start=1):
        cell = notes.cell(row=line, column=index, value=header)
        cell.font, cell.fill = BOLD, HEADER_FILL
    for column in spec.columns:
        line += 1
        values = (column.header, "yes" if column.required else "", column.holds, column.allowed, column.example)
        for index, value in enumerate(values, start=1):
            _wrapped(_safe_cell(notes, line, index, value))
    line += 2
    notes.cell(row=line, column=1, value=f"Example row ({spec.title})").font = BOLD
    line += 1
    for index, column in enumerate(spec.columns, start=1):
        notes.cell(row=line, column=index + 1, value=column.header).font = BOLD
        _safe_cell(notes, line + 1, index + 1, column.example)
    return line + 3


def _safe_cell(sheet, row: int, column: int, value):
    cell = sheet.cell(row=row, column=column)
    CellWriter(sheet)._fill(cell, value)
    return cell


def _wrapped(cell):
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


# --- the marked-up copy of an imported file -----------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    row: int
    column: int  # 1-based
    message: str
    is_error: bool = True


@dataclass(frozen=True)
class MarkedSheet:
    title: str
    header_row: int
    headers: Sequence[str]
    rows: Sequence[tuple[int, Sequence]]
    marks: Sequence[Mark]


def write_marked_up(handle, summary: Sequence[tuple[str, object]], sheets: Sequence[MarkedSheet]) -> None:
    """The uploaded file again, as XLSX: each bad cell filled red with a comment saying why (warnings yellow),
    rows where they were, and an Errors sheet first listing every mark with a link to its cell. The data sheets
    keep their names, so the copy, once fixed, can be imported as it is (the Errors sheet is skipped)."""
    book = Workbook(write_only=True)
    errors = book.create_sheet("Errors")
    for letter, width in zip("ABCDE", (16, 8, 9, 24, 100), strict=True):
        errors.column_dimensions[letter].width = width
    writer = CellWriter(errors)
    for label, value in summary:
        errors.append([writer.cell(label), writer.cell(value)])
    errors.append([])
    errors.append([writer.cell(h, fill=HEADER_FILL) for h in ("Sheet", "Row", "Column", "Header", "Problem")])
    for spec in sheets:
        for mark in sorted(spec.marks, key=lambda m: (m.row, m.column)):
            errors.append(_mark_line(writer, spec, mark))
    for spec in sheets:
        _marked_sheet(book.create_sheet(sheet_title(spec.title)), spec)
    book.save(handle)


def _mark_line(writer: CellWriter, spec: MarkedSheet, mark: Mark) -> list:
    letter = get_column_letter(mark.column)
    header = spec.headers[mark.column - 1] if mark.column <= len(spec.headers) else ""
    link = WriteOnlyCell(writer.sheet, value=f"{letter}{mark.row}")
    link.hyperlink = f"#'{sheet_title(spec.title)}'!{letter}{mark.row}"
    kind = "" if mark.is_error else "warning: "
    return [writer.cell(spec.title), mark.row, link, writer.cell(header), writer.cell(kind + mark.message)]


def _marked_sheet(sheet, spec: MarkedSheet) -> None:
    for column in range(1, len(spec.headers) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 18
    writer = CellWriter(sheet)
    marks: dict[tuple[int, int], list[Mark]] = {}
    for mark in spec.marks:
        marks.setdefault((mark.row, mark.column), []).append(mark)
    lines = [(spec.header_row, list(spec.headers)), *((number, list(values)) for number, values in spec.rows)]
    written = 0
    for number, values in sorted(lines, key=lambda line: line[0]):
        while written < number - 1:
            sheet.append([])
            written += 1
        width = max([len(values)] + [column for row, column in marks if row == number])
        cells = []
        for column in range(1, width + 1):
            value = values[column - 1] if column <= len(values) else None
            here = marks.get((number, column))
            if here:
                fill = ERROR_FILL if any(m.is_error for m in here) else WARNING_FILL
                cells.append(writer.cell(value, fill=fill, comment="\n".join(m.message for m in here)))
            elif number == spec.header_row:
                cells.append(writer.cell(value, fill=HEADER_FILL))
            else:
                cells.append(writer.cell(value))
        sheet.append(cells)
        written = number
