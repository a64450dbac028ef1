"""The issue's "done when", as a new NIES staff member would do it, through the pages and real files."""

import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.auth.models import Role
from crm.experts.models import Expert
from crm.extensions import db
from crm.interchange.models import PendingImport
from tests.spreadsheets import LIBREOFFICE, libreoffice_csv, libreoffice_xlsx

LATIN = [
    "Wang Fang",
    "Li Wei",
    "Zhang Min",
    "Liu Yang",
    "Chen Jie",
    "Yang Li",
    "Zhao Lei",
    "Huang Min",
    "Zhou Bo",
    "Wu Qian",
]
CHINESE = ["王芳", "李伟", "张敏", "刘洋", "陈杰", "杨丽", "赵磊", "黄敏", "周波", "吴倩"]
# The mistakes: (row, header, wrong value, the fix).
MISTAKES = [
    (11, "Engagement basis", "volunter", "volunteer"),
    (40, "Day rate", "about 800", 800),
    (77, "Available until", "31.02.2026", "2026-02-28"),
    (121, "E-mail", "li.wei at ioz.ac.cn", "li.wei.121@ioz.ac.cn"),
    (150, "Nationality", "Chinaland", "CN"),
    (180, "Languages", "Martian", "zh"),
]


@pytest.fixture
def nies(make):
    centre = make.centre(code="TSCC-NIES", host_country="CN")
    make.expert_pool(centre, name="CAST expert database")
    return centre


def fill(template: bytes) -> bytes:
    """The template's Experts sheet with 200 experts, Chinese and foreign, and the mistakes above."""
    book = load_workbook(io.BytesIO(template))
    sheet = book["Experts"]
    headers = [cell.value for cell in sheet[1]]
    for number in range(2, 202):
        person = number % 10
        foreign = number % 4 == 0
        values = {
            "Name": f"{LATIN[person]} {number}" if not foreign else f"Ivan Petrov {number}",
            "Names in other scripts": CHINESE[person] if not foreign else "Иван Петров",
            "Nationality": "CN" if not foreign else "Kazakhstan",
            "E-mail": f"expert{number}@example.org",
            "Languages": "zh; en" if not foreign else "ru, kk",
            "KMGBF targets": "3; 20",
            "Engagement basis": "paid" if number % 10 == 0 else "volunteer",
            "Day rate": 1500 if number % 10 == 0 else None,
            "Day rate currency": "RMB" if number % 10 == 0 else None,
            "Availability": "available",
            "Vetting": "Vetted",
            "Pools": "CAST expert database",
        }
        for header, value in values.items():
            sheet.cell(row=number, column=headers.index(header) + 1, value=value)
    for row, header, wrong, _ in MISTAKES:
        if header == "Day rate":
            sheet.cell(row=row, column=headers.index("Engagement basis") + 1, value="paid")
            sheet.cell(row=row, column=headers.index("Day rate currency") + 1, value="CNY")
        if header == "Available until":
            sheet.cell(row=row, column=headers.index("Availability") + 1, value="limited")
        sheet.cell(row=row, column=headers.index(header) + 1, value=wrong)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str) -> PendingImport:
    response = client.post(
        "/imports", data={"file": (io.BytesIO(content), name), "locale": "en"}, content_type="multipart/form-data"
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.get(PendingImport, int(response.headers["Location"].split("/")[-1]))


def experts() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Expert))


def test_done_when(client, login, make, nies, tmp_path):
    login(make.user(Role.STAFF, [nies]))
    template = client.get("/imports/templates/experts.xlsx").data
    filled = fill(template)

    # A report and a marked-up file naming each mistake; nothing written.
    pending = upload(client, filled, "nies-experts.xlsx")
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert f"{len(MISTAKES)} errors: nothing can be imported" in page, page[
        page.find('<table class="table compact issues') :
    ][:3000]
    headers = [cell.value for cell in load_workbook(io.BytesIO(template))["Experts"][1]]
    marked = load_workbook(io.BytesIO(client.get(f"/imports/{pending.id}/marked-up.xlsx").data))
    commented = {
        (cell.row, headers[cell.column - 1]) for row in marked["Experts"].iter_rows() for cell in row if cell.comment
    }
    assert commented == {(row, header) for row, header, _, _ in MISTAKES}
    for row, header, _, _ in MISTAKES:
        cell = marked["Experts"].cell(row=row, column=headers.index(header) + 1)
        assert cell.fill.fgColor.rgb.endswith("F8D0D0") and f"{cell.column_letter}{row}" in page
    assert experts() == 0

    # Fixed in the marked-up file itself, all 200 import in one go.
    for row, header, _, fix in MISTAKES:
        marked["Experts"].cell(row=row, column=headers.index(header) + 1, value=fix)
    fixed = io.BytesIO()
    marked.save(fixed)
    pending = upload(client, fixed.getvalue(), "nies-experts-fixed.xlsx")
    assert "No errors." in client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert client.post(f"/imports/{pending.id}/confirm", data={}).status_code == 303
    assert experts() == 200
    assert db.session.scalar(sa.select(sa.func.count()).where(Expert.other_names == "王芳")) > 0
    versions = dict(db.session.execute(sa.select(Expert.id, Expert.version)).all())

    # The same file again changes nothing.
    pending = upload(client, fixed.getvalue(), "nies-experts-fixed.xlsx")
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert '<td class="num">200</td><td class="num">0</td><td class="num">0</td><td class="num">200</td>' in page
    assert client.post(f"/imports/{pending.id}/confirm", data={}).status_code == 303
    assert dict(db.session.execute(sa.select(Expert.id, Expert.version)).all()) == versions

    # Export the list, edit three rows, import: exactly those three change.
    exported = load_workbook(io.BytesIO(client.get("/exports/experts.xlsx").data))
    sheet = exported["Experts"]
    columns = [cell.value for cell in sheet[1]]
    edits = {
        2: ("Position", "Professor"),
        60: ("Availability", "unavailable"),
        151: ("Names in other scripts", "王芳芳"),
    }
    refs = set()
    for row, (header, value) in edits.items():
        sheet.cell(row=row, column=columns.index(header) + 1, value=value)
        refs.add(sheet.cell(row=row, column=1).value)
    edited = tmp_path / "experts-edited.xlsx"
    exported.save(edited)
    content = edited.read_bytes()
    if LIBREOFFICE:  # and saved again by LibreOffice, as a user editing it there would
        content = libreoffice_xlsx(edited, tmp_path / "saved-by-libreoffice")
        assert b"LibreOffice" in zipfile.ZipFile(io.BytesIO(content)).read("docProps/app.xml")
    pending = upload(client, content, edited.name)
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert '<td class="num">200</td><td class="num">0</td><td class="num">3</td><td class="num">197</td>' in page
    assert client.post(f"/imports/{pending.id}/confirm", data={}).status_code == 303
    changed = {
        f"EXP-{id_}"
        for id_, version in db.session.execute(sa.select(Expert.id, Expert.version))
        if version != versions[id_]
    }
    assert changed == refs


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed (make system-deps installs it)")
def test_libreoffice_opens_the_exports_and_runs_no_formula_from_user_text(client, login, make, nies, tmp_path):
    for number, name in enumerate(["=1+1", "+2+2", "-3+3", "@SUM(4,4)", "王芳", "Иван Петров"]):
        make.expert(nies, name=name, email=f"e{number}@x.org", position='=HYPERLINK("http://evil.example","click")')
    login(make.user(Role.STAFF, [nies]))
    for fmt in ("xlsx", "csv"):
        path = tmp_path / f"experts.{fmt}"
        path.write_bytes(client.get(f"/exports/experts.{fmt}").get_data())
        (tmp_path / fmt).mkdir()
        seen = libreoffice_csv(path, tmp_path / fmt)
        assert "王芳" in seen and "Иван Петров" in seen
        for text in ("=1+1", "+2+2", "-3+3", "@SUM(4,4)", '=HYPERLINK(""http://evil.example"",""click"")'):
            assert text in seen, (fmt, text)  # shown as text, not computed
        cells = {cell for line in seen.splitlines() for cell in line.split(",")}
        assert not cells & {"2", "4", "0", "8", "click"}
