"""Uploaded spreadsheets read into rows of plain values, and refused when they are not spreadsheets.

Two kinds of file are read, judged by their content, never by their name: XLSX (a zip holding
``[Content_Types].xml`` and ``xl/workbook.xml``: Excel, LibreOffice, a Google Sheets download) and CSV
(text, with commas, semicolons or tabs). The guards, in the order they apply:

- size: the request's MAX_CONTENT_LENGTH (a 413 page states it); an empty file is refused;
- zip bombs: the uncompressed size of every part, as the zip's directory states it, is checked before
  anything is inflated (at most ``MAX_UNZIPPED_BYTES`` in all, no part more than ``MAX_RATIO`` times its
  compressed size); each part is then inflated in chunks under the same limit, in case the directory lies;
- XML entity expansion ("billion laughs") and external entities: no part may declare a DTD, which no
  spreadsheet needs; openpyxl also parses the workbook's parts through defusedxml, which refuses entities, and
  the sheets are streamed row by row by lxml with entities, DTDs and the network all turned off, so memory
  stays flat whatever the size up to the caps;
- caps: ``MAX_ROWS`` rows in all the sheets, ``MAX_COLUMNS`` columns, ``MAX_CELL_CHARS`` characters a cell;
- formulas are never evaluated: a formula cell is read as its text (a ``FormulaText``), for a warning (so is
  a text cell starting with "=", which openpyxl's streaming reader does not tell apart from a formula);
- numbers: an XLSX number cell is an exact ``Decimal`` when it holds at most 15 significant digits (what a
  spreadsheet keeps exactly; openpyxl gives floats, whose shortest repr is then the number typed); a longer
  one is marked ``Inexact`` and refused by the column that reads it;
- CSV text: UTF-8 with or without a BOM and UTF-16 (Excel's "Unicode text") are recognised, another
  encoding is asked for; the separator is the one under which the header row names known columns, or the
  only one that splits every line alike, or asked (``NeedsChoice``); the apostrophe an export puts before a
  formula-like text is dropped (``crm.interchange.writing.unquote``). An XLSX export marks such a cell with
  the quote prefix instead, which leaves its value as it is.
"""

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import (
    CELL_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    ROW_TAG,
    VALUE_TAG,
    WorkSheetParser,
    _cast_number,
)

from crm.core.i18n import reading_locale
from crm.interchange.writing import unquote

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 32_767  # a spreadsheet cell's own limit
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_PARTS = 2_000
EXACT_DIGITS = 15

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# The separators as a person reading the page calls them (DELIMITERS: the command line's names).
DELIMITER_WORDS = {",": _l("comma"), ";": _l("semicolon"), "\t": _l("tab")}
# What a file "is separated by": "CSV text, UTF-8, separated by semicolons".
SEPARATED_BY = {",": _l("commas"), ";": _l("semicolons"), "\t": _l("tabs")}
# Encodings a user may name when a file is not Unicode: what Windows and older Chinese software write.
ENCODINGS = {
    "cp1251": _l("Cyrillic (Windows-1251)"),
    "gb18030": _l("Chinese (GB18030 / GBK)"),
    "cp1252": _l("Western European (Windows-1252)"),
    "koi8_r": _l("Cyrillic (KOI8-R)"),
    "big5": _l("Chinese, traditional (Big5)"),
}
# Signatures of files people upload by mistake, for a message that says what the file is.
SIGNATURES = (
    (b"%PDF-", _l("This file is a PDF document, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
    (b"\x89PNG", _l("This file is a PNG image, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
    (
        b"\xff\xd8\xff",
        _l("This file is a JPEG image, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."),
    ),
    (b"GIF8", _l("This file is a GIF image, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
    (
        b"\x1f\x8b",
        _l("This file is a gzip archive, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."),
    ),
    (b"MZ", _l("This file is a Windows program, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
    (b"\x7fELF", _l("This file is a program, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
    (b"{\\rtf", _l("This file is an RTF document, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")),
)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
)

log = logging.getLogger(__name__)


class ReadError(ValueError):
    """The file cannot be read as a spreadsheet; the message says why, for the person who uploaded it."""


class NeedsChoice(ReadError):
    """The file may be fine, but its encoding or separator must be chosen by the user: ``choice`` says which."""

    def __init__(self, message: str, choice: str):
        super().__init__(message)
        self.choice = choice


class FormulaText(str):
    """A formula cell's text ("=SUM(A1:A3)"): read as text, never evaluated."""


class Inexact(str):
    """A number cell that a spreadsheet does not hold exactly (more than 15 significant digits), as read."""


class CellErrorValue(str):
    """A cell showing a spreadsheet error such as #N/A or #REF!."""


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = ""  # "" to detect
    delimiter: str = ""  # "" to detect


@dataclass
class Sheet:
    name: str
    headers: list[str]
    header_row: int
    # (row number as the spreadsheet shows it, the row's values; trailing empty cells dropped)
    rows: list[tuple[int, tuple]] = field(default_factory=list)


@dataclass
class Workbook:
    kind: str  # "xlsx" | "csv"
    sheets: list[Sheet]
    encoding: str = ""
    delimiter: str = ""

    @property
    def described(self) -> str:
        if self.kind == "xlsx":
            return _("Excel workbook (XLSX)")
        separator = SEPARATED_BY.get(self.delimiter, self.delimiter)
        return _("CSV text, %(encoding)s, separated by %(separator)s", encoding=self.encoding, separator=separator)


def header_key(text) -> str:
    """A header as it is compared: no case, no surrounding or repeated spaces."""
    return " ".join(str(text or "").split()).casefold()


def read(content: bytes, options: ReadOptions = ReadOptions(), known_headers: frozenset[str] = frozenset()) -> Workbook:
    """The sheets of an uploaded file, or ReadError. ``known_headers`` (``header_key`` form) guide CSV detection."""
    if not content:
        raise ReadError(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    _refuse_known_binaries(content)
    return _read_csv(content, options, known_headers)


def check(content: bytes, options: ReadOptions = ReadOptions(), known_headers: frozenset[str] = frozenset()) -> str:
    """The guards alone, without reading a cell (an upload's first look): the kind of file, or ReadError."""
    if not content:
        raise ReadError(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        _check_archive(content)
        return "xlsx"
    _refuse_known_binaries(content)
    text, _encoding = _decode(content, options.encoding)
    if _looks_binary(text):
        raise ReadError(str(NOT_A_SPREADSHEET))
    if not options.delimiter:
        _detect_delimiter(text, known_headers)
    return "csv"


NOT_A_SPREADSHEET = _l("This file is neither an Excel workbook nor text: it is not a spreadsheet.")


def _refuse_known_binaries(content: bytes) -> None:
    if content.startswith(OLE_SIGNATURE):
        raise ReadError(
            _(
                "This is an old Excel file (.xls) or a password-protected workbook: open it and save it as an Excel "
                "workbook (.xlsx) without a password, or as CSV."
            )
        )
    for signature, refusal in SIGNATURES:
        if content.startswith(signature):
            raise ReadError(str(refusal))


# --- XLSX ----------------------------------------------------------------------------------------------------


def _read_xlsx(content: bytes) -> Workbook:
    _check_archive(content)
    try:
        parts = _XlsxParts(content)
    except Exception as error:  # openpyxl raises anything from KeyError to XML errors on a hostile file
        log.info("Unreadable workbook: %r", error)
        raise ReadError(_("The workbook could not be read: it is damaged or not an Excel workbook.")) from None
    try:
        sheets, total = [], 0
        for name, path in parts.worksheets():
            with parts.archive.open(path) as source:
                sheet = _xlsx_sheet(name, parts.rows(source), MAX_ROWS - total)
            if sheet is not None:
                sheets.append(sheet)
                total += len(sheet.rows)
    except ReadError:
        raise
    except Exception as error:
        log.info("Unreadable sheet: %r", error)
        raise ReadError(_("A sheet of the workbook could not be read: it is damaged.")) from None
    finally:
        parts.archive.close()
    if not sheets:
        raise ReadError(_("The workbook has no rows."))
    return Workbook("xlsx", sheets)


class _XlsxParts:
    """A workbook's parts as openpyxl reads them (its sheets, shared strings, date styles and epoch), without
    its worksheet objects: their rows are streamed by ``rows``."""

    def __init__(self, content: bytes):
        self.reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
        self.archive = self.reader.archive
        self.reader.read_manifest()
        self.reader.read_strings()
        self.reader.read_workbook()
        apply_stylesheet(self.archive, self.reader.wb)

    def worksheets(self) -> Iterator[tuple[str, str]]:
        """(name, part) of each worksheet, in the workbook's order; chart sheets are left out."""
        for sheet, relation in self.reader.parser.find_sheets():
            if relation.target in self.reader.valid_files and "chartsheet" not in relation.Type:
                yield sheet.name, relation.target

    def rows(self, source) -> Iterator[tuple[int, tuple]]:
        book = self.reader.wb
        parser = _SheetParser(
            source, self.reader.shared_strings, False, book.epoch, book._date_formats, book._timedelta_formats
        )
        return parser.rows()


SHARED_UP_TO = 100  # characters of an inline text that is kept once per sheet, as a shared string is
TEXT_TAG, RUN_TAG = INLINE_STRING.replace("}is", "}t"), INLINE_STRING.replace("}is", "}r")


class _SheetParser(WorkSheetParser):
    """Every cell as openpyxl reads it (its type, a shared string, a date by its style, a formula as its text),
    with two differences that make it several times faster than openpyxl's read-only worksheet: the XML is
    streamed by lxml (each row dropped once read), and an inline string (what openpyxl's and this app's own
    exports write) is joined from its text runs directly. (openpyxl's read-only worksheet also parses a sheet
    that does not state its size once more, whole, just to size it.)"""

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """(row number, its values from column A to its last cell) for each row the sheet holds."""
        self.texts: dict[str, str] = {}
        events = etree.iterparse(
            self.source,
            events=("end",),
            tag=ROW_TAG,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        for _event, element in events:
            yield self.row_values(element)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]

    def row_values(self, element) -> tuple[int, tuple]:
        number = element.get("r")
        self.row_counter = int(float(number)) if number else self.row_counter + 1
        self.col_counter = 0
        cells = [self.parse_cell(cell) for cell in element.iterchildren(CELL_TAG)]
        values = [None] * max((cell["column"] for cell in cells), default=0)
        for cell in cells:
            values[cell["column"] - 1] = cell["value"]
        return self.row_counter, tuple(values)

    def parse_cell(self, element):
        """openpyxl's ``parse_cell`` for formulas, dates and the rarer types; the common cells (text, shared
        strings, numbers) read here in one pass over the cell's children, which is most of the speed."""
        value = formula = inline = None
        for child in element:
            tag = child.tag
            if tag == VALUE_TAG:
                value = child.text
            elif tag == FORMULA_TAG:
                formula = child
            elif tag == INLINE_STRING:
                inline = child
        kind = element.get("t", "n")
        if formula is not None or kind not in ("n", "s", "inlineStr"):
            return super().parse_cell(element)
        style = element.get("s")
        if kind == "n" and style and int(style) in self.date_formats:
            return super().parse_cell(element)
        coordinate = element.get("r")
        self.col_counter = _column_number(coordinate) if coordinate else self.col_counter + 1
        if kind == "inlineStr":
            value = None if inline is None else "".join(_inline_text(inline))
            if value is not None and len(value) <= SHARED_UP_TO:  # a code, a name: kept once however often it comes
                value = self.texts.setdefault(value, value)
        elif not value:
            value = None
        elif kind == "s":
            value = self.shared_strings[int(value)]
        else:
            value = _cast_number(value)
        return {"column": self.col_counter, "value": value}


def _inline_text(inline) -> Iterator[str]:
    """openpyxl's ``Text.content``: the plain text, then each run's; phonetic guides left out."""
    for child in inline:
        if child.tag == TEXT_TAG:
            yield child.text or ""
        elif child.tag == RUN_TAG:
            for text in child:
                if text.tag == TEXT_TAG:
                    yield text.text or ""


COORDINATE = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d+$")


def _column_number(coordinate: str) -> int:
    match = COORDINATE.match(coordinate)
    if match is None:
        raise ValueError(f"{coordinate!r} is not a cell's address.")
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _check_archive(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError):
        raise ReadError(_("The file looks like a zip archive but is damaged: it is not a readable workbook.")) from None
    with archive:
        parts = archive.infolist()
        names = {part.filename for part in parts}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise ReadError(_not_a_workbook(archive, names))
        if len(parts) > MAX_ZIP_PARTS:
            raise ReadError(
                _(
                    "The workbook has %(count)s parts; a spreadsheet has far fewer. It was not opened.",
                    count=_n(len(parts)),
                )
            )
        stated = sum(part.file_size for part in parts)
        if stated > MAX_UNZIPPED_BYTES:
            raise ReadError(_bomb(stated))
        for part in parts:
            if part.flag_bits & 0x1:
                raise ReadError(
                    _("The workbook is password-protected: save it without a password and upload it again.")
                )
            if part.file_size > 1024 * 1024 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                raise ReadError(_bomb(stated))
        inflated = 0
        for part in parts:
            inflated = _scan_part(archive, part, inflated)


def _not_a_workbook(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "word/document.xml" in names:
        return _("This is a Word document, not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")
    if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype")[:100]:
        return _("This is an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx) or CSV first.")
    return _("This zip archive is not an Excel workbook: upload an Excel workbook (.xlsx) or a CSV file.")


def _bomb(size: int) -> str:
    return _(
        "The workbook would inflate to %(size)s MB (a “zip bomb”), beyond the %(limit)s MB a spreadsheet of "
        "%(rows)s rows could need. It was not opened.",
        size=_n(round(size / 1024 / 1024)),
        limit=_n(MAX_UNZIPPED_BYTES // 1024 // 1024),
        rows=_n(MAX_ROWS),
    )


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, inflated: int) -> int:
    """Inflate one part in chunks, counting what it really holds and refusing a DTD; the running total."""
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(256 * 1024):
                inflated += len(chunk)
                if inflated > MAX_UNZIPPED_BYTES:
                    raise ReadError(_bomb(inflated))
                window = tail + chunk
                if any(marker in window for marker in DTD_MARKERS):
                    raise ReadError(
                        _(
                            "The workbook declares XML entities (a DTD), which no spreadsheet needs and which can "
                            "expand without limit (“billion laughs”). It was not opened."
                        )
                    )
                tail = chunk[-32:]
    except ReadError:
        raise
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        raise ReadError(
            _("The workbook could not be read: a part of it is damaged or uses unknown compression.")
        ) from None
    return inflated


def _xlsx_sheet(name: str, rows: Iterator[tuple[int, tuple]], rows_left: int) -> Sheet | None:
    headers, header_row, kept = None, 0, []
    for number, cells in rows:
        values = _trimmed(tuple(_xlsx_value(value) for value in cells))
        if not values:
            continue
        if len(values) > MAX_COLUMNS:
            raise ReadError(_too_wide(name, number, len(values)))
        if headers is None:
            headers, header_row = [_header_text(value) for value in values], number
            continue
        if len(kept) >= rows_left:
            raise ReadError(_too_long())
        kept.append((number, values))
    if headers is None:
        return None
    return Sheet(name, headers, header_row, kept)


# What a cell showing a spreadsheet error holds.
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


def _xlsx_value(value):
    """A cell's value as read without evaluating anything (openpyxl, ``data_only=False``: a formula's own text)."""
    if value is None or isinstance(value, bool | int | Decimal | datetime | date):
        return value
    if isinstance(value, float):
        return exact_number(value)
    if isinstance(value, str):
        # A formula cell gives its formula; a text cell that starts with "=" is warned about alike, read as text.
        if value.startswith("=") and len(value) > 1:
            return FormulaText(value)
        return CellErrorValue(value) if value in ERROR_VALUES else value
    if isinstance(value, time):
        return value.isoformat()
    return FormulaText(getattr(value, "text", None) or str(value))  # an array formula


def exact_number(value: float):
    """A float from a number cell as the Decimal the cell holds, or Inexact beyond 15 significant digits."""
    shortest = repr(value)
    number = Decimal(shortest)
    if not number.is_finite():
        return Inexact(shortest)
    digits = len(number.normalize().as_tuple().digits) if number else 1
    return number if digits <= EXACT_DIGITS else Inexact(shortest)


def _trimmed(values: tuple) -> tuple:
    end = len(values)
    while end and (values[end - 1] is None or values[end - 1] == ""):
        end -= 1
    return values[:end]


def _header_text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _too_wide(sheet: str, row: int, columns: int) -> str:
    return _(
        "Sheet “%(sheet)s”, row %(row)s has %(columns)s columns; at most %(limit)s are read. Remove the extra columns.",
        sheet=sheet,
        row=row,
        columns=columns,
        limit=MAX_COLUMNS,
    )


def _n(number: int) -> str:
    """A count as the reader writes it: 100,000 or 100 000."""
    return format_decimal(number, locale=reading_locale())


def _too_long() -> str:
    return _("The file has more than %(rows)s rows: split it into files of at most %(rows)s rows.", rows=_n(MAX_ROWS))


# --- CSV -----------------------------------------------------------------------------------------------------


def _read_csv(content: bytes, options: ReadOptions, known_headers: frozenset[str]) -> Workbook:
    text, encoding = _decode(content, options.encoding)
    if _looks_binary(text):
        raise ReadError(str(NOT_A_SPREADSHEET))
    delimiter = options.delimiter or _detect_delimiter(text, known_headers)
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers, header_row, rows = None, 0, []
    number = 0
    try:
        for record in reader:
            number += 1
            values = _trimmed(tuple(unquote(value) if value != "" else None for value in record))
            if not values:
                continue
            if len(values) > MAX_COLUMNS:
                raise ReadError(_too_wide("CSV", number, len(values)))
            if headers is None:
                headers, header_row = [_header_text(value) for value in values], number
                continue
            if len(rows) >= MAX_ROWS:
                raise ReadError(_too_long())
            rows.append((number, values))
    except csv.Error as error:
        raise ReadError(
            _("Row %(row)s of the CSV file cannot be read (%(error)s): check its quotes.", row=number + 1, error=error)
        ) from None
    if headers is None:
        raise ReadError(_("The file has no rows."))
    return Workbook("csv", [Sheet("CSV", headers, header_row, rows)], encoding, delimiter)


def _decode(content: bytes, chosen: str) -> tuple[str, str]:
    if chosen:
        try:
            return content.decode(chosen).removeprefix("\ufeff"), ENCODINGS.get(chosen, chosen)
        except (UnicodeDecodeError, LookupError):
            raise NeedsChoice(
                _("The file is not written in %(encoding)s: choose another.", encoding=ENCODINGS.get(chosen, chosen)),
                "encoding",
            ) from None
    if content.startswith(codecs.BOM_UTF8):
        return _strict(content[3:], "utf-8"), "UTF-8 (with BOM)"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(content, "utf-16"), "UTF-16"
    unmarked = _utf16_without_bom(content)
    if unmarked:
        return _strict(content, unmarked), "UTF-16"
    if _looks_binary(content[:4096].decode("latin-1")):
        raise ReadError(str(NOT_A_SPREADSHEET))
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        raise NeedsChoice(
            _(
                "The file is not Unicode (UTF-8 or UTF-16): choose the encoding it was saved in, or save it again as "
                "“CSV UTF-8” or as an Excel workbook."
            ),
            "encoding",
        ) from None


def _strict(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ReadError(
            _("The file says it is %(encoding)s but is not: save it again as CSV UTF-8.", encoding=encoding.upper())
        ) from None


def _utf16_without_bom(content: bytes) -> str | None:
    """UTF-16 of mostly Latin text has a NUL in every other byte: the side of the NULs says the byte order."""
    sample = content[:400]
    if len(sample) < 8:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.4 * len(sample) / 2 and even == 0:
        return "utf-16-le"
    if even > 0.4 * len(sample) / 2 and odd == 0:
        return "utf-16-be"
    return None


CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return "\x00" in sample or len(CONTROL.findall(sample)) > max(3, len(sample) // 100)


def _first_rows(sample: str, delimiter: str, count: int = 50) -> list[list[str]]:
    """Up to ``count`` non-empty rows of ``sample`` split by ``delimiter``, as far as they can be read."""
    rows = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if any(row):
                rows.append(row)
            if len(rows) == count:
                break
    except csv.Error:
        pass
    return rows


def _detect_delimiter(text: str, known_headers: frozenset[str]) -> str:
    sample = text[:65536]
    firsts = {}
    for delimiter in DELIMITERS:
        rows = _first_rows(sample, delimiter)
        if rows:
            firsts[delimiter] = rows
    if not firsts:
        raise ReadError(_("The file has no rows."))
    known = {d: sum(header_key(cell) in known_headers for cell in rows[0]) for d, rows in firsts.items()}
    best = max(known.values())
    if best and list(known.values()).count(best) == 1:
        return max(known, key=known.get)
    even = [d for d, rows in firsts.items() if len(rows[0]) > 1 and all(len(row) == len(rows[0]) for row in rows)]
    if len(even) == 1:
        return even[0]
    if all(len(rows[0]) == 1 for rows in firsts.values()):
        return ","
    raise NeedsChoice(_("The separator between the columns could not be told for sure: choose it."), "delimiter")
