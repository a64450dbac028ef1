"""The guards of an upload, each tried with a real hostile or awkward file built here."""

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from crm.interchange import reading
from crm.interchange.reading import FormulaText, Inexact, NeedsChoice, ReadError, ReadOptions, read
from crm.interchange.registers import known_headers
from tests.factories import docx_bytes
from tests.spreadsheets import (
    LIBREOFFICE,
    billion_laughs,
    csv_bytes,
    libreoffice_xlsx,
    replaced_part,
    xlsx,
    zip_bomb,
)

HEADERS = ["Name", "Engagement basis", "Availability"]
ROWS = [HEADERS, ["Wang Fang", "volunteer", "available"], ["Иван Петров", "paid", "limited"]]


def read_csv(content: bytes, **options) -> reading.Workbook:
    return read(content, ReadOptions(**options), known_headers())


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    bomb = zip_bomb(8)
    assert len(bomb) < 100_000  # 8 MB of blanks in a few kilobytes
    with pytest.raises(ReadError, match="zip bomb"):
        read(bomb)


def test_a_zip_bomb_over_the_total_is_refused_from_its_directory(monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNZIPPED_BYTES", 4 * 1024 * 1024)
    monkeypatch.setattr(reading, "MAX_RATIO", 10**9)  # only the total can catch it
    with pytest.raises(ReadError, match="zip bomb"):
        read(zip_bomb(6))


def test_a_zip_whose_directory_understates_a_part_is_refused():
    honest = xlsx({"Experts": ROWS})
    archive = zipfile.ZipFile(io.BytesIO(honest))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    lying = bytearray(honest)
    # The central directory's uncompressed size of the sheet, rewritten as 10 bytes.
    offset = lying.rfind(b"PK\x01\x02", 0, len(lying))
    while offset != -1:
        name_length = int.from_bytes(lying[offset + 28 : offset + 30], "little")
        if lying[offset + 46 : offset + 46 + name_length] == info.filename.encode():
            lying[offset + 24 : offset + 28] = (10).to_bytes(4, "little")
            break
        offset = lying.rfind(b"PK\x01\x02", 0, offset)
    with pytest.raises(ReadError):
        read(bytes(lying))


def test_xml_entity_expansion_is_refused():
    with pytest.raises(ReadError, match="billion laughs"):
        read(billion_laughs())


def test_an_external_entity_is_refused():
    sheet = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(ReadError, match="DTD"):
        read(replaced_part(xlsx({"Experts": ROWS}), "xl/worksheets/sheet1.xml", sheet))


@pytest.mark.parametrize(
    "content, says",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (docx_bytes(), "Word document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old Excel file"),
        (b"PK\x03\x04 not really a zip", "damaged"),
        (bytes(range(256)) * 20, "not a spreadsheet"),
        (b"", "empty"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_by_its_content(content, says):
    with pytest.raises(ReadError, match=says):
        read(content)
    with pytest.raises(ReadError, match=says):
        reading.check(content)


def test_an_opendocument_spreadsheet_is_asked_for_as_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(ReadError, match=r"OpenDocument spreadsheet \(\.ods\)"):
        read(buffer.getvalue())


@pytest.mark.parametrize(
    "content, encoding",
    [
        (csv_bytes(ROWS), "UTF-8"),
        (csv_bytes(ROWS, bom=True), "UTF-8 (with BOM)"),
        (csv_bytes(ROWS, delimiter="\t", encoding="utf-16", bom=True), "UTF-16"),  # Excel's "Unicode text"
        (csv_bytes(ROWS, delimiter="\t", encoding="utf-16-le"), "UTF-16"),
        (csv_bytes(ROWS, delimiter=";", encoding="utf-16-be"), "UTF-16"),
    ],
)
def test_unicode_csv_is_read_whatever_its_encoding_and_separator(content, encoding):
    book = read_csv(content)
    assert book.encoding == encoding
    sheet = book.sheets[0]
    assert sheet.headers == HEADERS
    assert [values for _, values in sheet.rows] == [tuple(row) for row in ROWS[1:]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_is_the_one_under_which_the_headers_are_known(delimiter):
    # Decimal commas inside the cells would fool a count of commas: the headers decide.
    rows = [HEADERS + ["Day rate"], ["Wang Fang", "paid", "available", "1 234,50"]]
    book = read_csv(csv_bytes(rows, delimiter=delimiter))
    assert book.delimiter == delimiter and book.sheets[0].rows[0][1][3] == "1 234,50"


def test_a_separator_that_cannot_be_told_is_asked():
    content = b"a;b,c\n1;2,3\n4;5,6\n"
    with pytest.raises(NeedsChoice) as refused:
        read_csv(content)
    assert refused.value.choice == "delimiter"
    assert read_csv(content, delimiter=";").sheets[0].headers == ["a", "b,c"]


def test_a_file_in_another_encoding_is_asked_and_then_read():
    content = csv_bytes([HEADERS, ["Иван Петров", "paid", "limited"]], encoding="cp1251")
    with pytest.raises(NeedsChoice) as refused:
        read_csv(content)
    assert refused.value.choice == "encoding"
    with pytest.raises(NeedsChoice, match="not written in"):
        read_csv(content, encoding="big5")
    assert read_csv(content, encoding="cp1251").sheets[0].rows[0][1][0] == "Иван Петров"


def test_unbalanced_quotes_say_which_row():
    content = b'Name,Engagement basis\n"Wang Fang,volunteer\n'
    with pytest.raises(ReadError, match="quotes"):
        read_csv(content + b"x" * (reading.MAX_CELL_CHARS + 10))


def test_formulas_are_read_as_their_text_and_never_evaluated():
    content = xlsx({"Experts": [HEADERS, ['=HYPERLINK("http://evil.example","x")', "=1+1", "available"]]})
    values = read(content).sheets[0].rows[0][1]
    assert isinstance(values[0], FormulaText) and values[0].startswith("=HYPERLINK")
    assert values[1] == "=1+1"  # the formula, not 2


def test_numbers_are_exact_decimals_up_to_what_a_spreadsheet_keeps():
    row = [0.1, 1234567.891234567, 123456789012345, 12345678901234567890, datetime(2026, 3, 17)]
    content = xlsx({"Rates": [["Rate", "Long", "Whole", "Too long", "When"], row]})
    rate, long, whole, too_long, when = read(content).sheets[0].rows[0][1]
    assert rate == Decimal("0.1") and isinstance(rate, Decimal)
    assert isinstance(long, Inexact) and isinstance(too_long, Inexact)  # 16 and 20 digits: a spreadsheet rounds them
    assert whole == 123456789012345
    assert when == datetime(2026, 3, 17)


def test_rows_and_columns_are_capped(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    many = [HEADERS] + [[f"Expert {n}", "volunteer", "available"] for n in range(4)]
    with pytest.raises(ReadError, match="more than 3 rows"):
        read(xlsx({"Experts": many}))
    with pytest.raises(ReadError, match="more than 3 rows"):
        read_csv(csv_bytes(many))
    wide = [[f"h{n}" for n in range(reading.MAX_COLUMNS + 1)]]
    with pytest.raises(ReadError, match=f"at most {reading.MAX_COLUMNS} are read"):
        read(xlsx({"Experts": wide}))


def test_blank_rows_are_skipped_and_rows_keep_their_numbers():
    content = xlsx(
        {"Experts": [[], HEADERS, ["Wang Fang", "volunteer", "available"], [], ["Li Wei", "paid", "limited"]]}
    )
    sheet = read(content).sheets[0]
    assert sheet.header_row == 2 and [number for number, _ in sheet.rows] == [3, 5]


def openpyxl_reading(content: bytes) -> list[tuple[str, list]]:
    """Each sheet's non-empty rows as openpyxl's own read-only worksheet reads them: the oracle of the streamed
    reader."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    sheets = []
    for worksheet in book.worksheets:
        worksheet.reset_dimensions()
        rows = []
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            values = reading._trimmed(tuple(reading._xlsx_value(value) for value in cells))
            if values:
                rows.append((number, values))
        sheets.append((worksheet.title, rows))
    book.close()
    return sheets


def streamed_reading(content: bytes) -> list[tuple[str, list]]:
    return [(sheet.name, [(sheet.header_row, tuple(sheet.headers)), *sheet.rows]) for sheet in read(content).sheets]


def awkward_workbook() -> bytes:
    """Every kind of cell a user's workbook holds: shared strings in several scripts, rich text, numbers, dates and
    times, yes/no, errors, formulas, gaps between cells and rows, a second sheet."""
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = Workbook()
    sheet = book.active
    sheet.title = "Experts"
    sheet.append(["Name", "Names in other scripts", "Day rate", "Available until", "Notes", "Vetting"])
    sheet.append(["Wang Fang", "王芳", 1500, datetime(2026, 3, 17), "  spaces kept  ", True])
    sheet.append(["Иван Петров", "Иван", 0.1, datetime(2026, 3, 17, 9, 30), "=1+1", False])
    sheet["A5"] = CellRichText("Zhang ", TextBlock(InlineFont(b=True), "Min"))
    sheet["C5"] = 123456789012345678
    sheet["D5"] = "#N/A"
    sheet["F5"] = "=A5&B5"
    sheet["E7"] = "a lone cell after an empty row"
    sheet["D8"] = datetime(2026, 1, 1).time()
    other = book.create_sheet("Pools")
    other.append(["Name", "Description"])
    other.append(["CAST expert database", "多行\n文字"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_streamed_reader_reads_every_cell_as_openpyxl_does():
    content = awkward_workbook()
    assert streamed_reading(content) == openpyxl_reading(content)
    # And what an export (inline strings, one style per number format) holds.
    from crm.interchange import writing

    exported = io.BytesIO()
    rows = [["王芳", Decimal("1500.50"), writing.Amount(Decimal("12.5"), "CNY"), datetime(2026, 3, 17), "=1+1", None]]
    writing.write_xlsx(exported, [("Experts", ["Name", "Rate", "Amount", "When", "Formula-like", "Empty"], rows)])
    assert streamed_reading(exported.getvalue()) == openpyxl_reading(exported.getvalue())


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed (make system-deps installs it)")
def test_the_streamed_reader_reads_a_workbook_saved_by_libreoffice_as_openpyxl_does(tmp_path):
    source = tmp_path / "source.xlsx"
    source.write_bytes(awkward_workbook())
    saved = libreoffice_xlsx(source, tmp_path / "saved")
    assert streamed_reading(saved) == openpyxl_reading(saved)
    assert streamed_reading(saved)[0][1][1][1][:2] == ("Wang Fang", "王芳")
