"""The import pages as staff use them: upload, a streamed preview, the marked-up copy, confirmation; and exports."""

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from crm.auth.models import Role
from crm.experts.models import Expert
from crm.extensions import db
from crm.interchange.models import PendingImport
from tests.spreadsheets import csv_bytes, xlsx

HEADERS = ["Name", "E-mail", "Engagement basis", "Availability"]


def upload(client, content: bytes, name: str = "roster.xlsx", **fields):
    data = {"file": (io.BytesIO(content), name), "locale": "en", "register": "", "encoding": "", "delimiter": ""}
    return client.post("/imports", data=data | fields, content_type="multipart/form-data")


def pending_of(response) -> PendingImport:
    return db.session.get(PendingImport, int(response.headers["Location"].rstrip("/").split("/")[-1]))


def test_upload_preview_marked_up_fix_and_confirm(client, login, staff):
    login(staff)
    bad = xlsx(
        {
            "Experts": [
                HEADERS,
                ["Wang Fang", "wang@ioz.ac.cn", "volunteer", "available"],
                ["Li Wei", "li@ioz.ac.cn", "volunter", "available"],
            ]
        }
    )
    response = upload(client, bad)
    assert response.status_code == 303
    pending = pending_of(response)
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert "Checked 2 of 2 rows" in page
    assert "1 error: nothing can be imported" in page and "“volunter” is not an engagement basis" in page
    assert "C3" in page and "Import 2 rows" not in page
    marked = client.get(f"/imports/{pending.id}/marked-up.xlsx")
    assert marked.status_code == 200 and marked.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(marked.data))
    assert book.sheetnames == ["Errors", "Experts"]
    cell = book["Experts"]["C3"]
    assert cell.value == "volunter" and cell.fill.fgColor.rgb.endswith("F8D0D0") and "volunteer" in cell.comment.text
    assert book["Experts"]["C2"].comment is None
    assert [row[1:3] for row in book["Errors"].iter_rows(values_only=True) if row[0] == "Experts"] == [(3, "C3")]
    # The marked-up copy, fixed, imports as it is: its Errors sheet is skipped.
    book["Experts"]["C3"] = "volunteer"
    fixed = io.BytesIO()
    book.save(fixed)
    response = upload(client, fixed.getvalue(), "roster-marked-up.xlsx")
    pending = pending_of(response)
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert "No errors." in page and "Import 2 rows" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 0  # the preview wrote nothing
    response = client.post(f"/imports/{pending.id}/confirm", data={})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 2
    page = client.get(f"/imports/{pending.id}").get_data(as_text=True)
    assert "imported" in page and re.search(r"Experts</td><td>Experts</td><td class=\"num\">2</td>", page)
    assert db.session.get(PendingImport, pending.id).content == b""  # the file is not kept once imported
    assert client.post(f"/imports/{pending.id}/confirm", data={}).status_code == 303  # twice: refused, said so


def test_a_confirmation_refused_by_what_changed_since_the_preview_writes_nothing(client, login, staff, nies, make):
    login(staff)
    content = xlsx(
        {"Experts": [[*HEADERS, "Pools"], ["Wang Fang", "w@x.org", "volunteer", "available", "Consultants"]]}
    )
    pool = make.expert_pool(nies, name="Consultants")
    pending = pending_of(upload(client, content))
    assert "No errors." in client.get(f"/imports/{pending.id}").get_data(as_text=True)
    db.session.delete(pool)
    db.session.commit()
    response = client.post(f"/imports/{pending.id}/confirm", data={})
    assert response.status_code == 422 and "is not a pool of TSCC-NIES" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Expert)) == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(client, login, staff):
    login(staff)
    response = upload(client, b"%PDF-1.7 a CV", "cv.xlsx")
    assert response.status_code == 422 and "This file is a PDF document, not a spreadsheet" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingImport)) == 0


def test_a_csv_in_another_encoding_asks_for_it_beside_its_field(client, login, staff):
    login(staff)
    content = csv_bytes([HEADERS, ["Иван Петров", "ivan@x.org", "paid", "limited"]], delimiter=";", encoding="cp1251")
    response = upload(client, content, "roster.csv")
    page = response.get_data(as_text=True)
    assert (
        response.status_code == 422 and "choose the encoding" in page and '<details class="csv-options" open>' in page
    )
    response = upload(client, content, "roster.csv", encoding="cp1251")
    assert response.status_code == 303
    assert "No errors." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_file_over_the_limit_gets_the_413_page(client, login, staff, app):
    login(staff)
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Encoded in memory: werkzeug's test client would spool a body this large to a file it never closes.
    body, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(b"x" * (limit + 1)), "huge.csv")}, use_tempfile=False
    )
    response = client.post(
        "/imports", input_stream=body, content_length=length, content_type=f'multipart/form-data; boundary="{boundary}"'
    )
    assert (
        response.status_code == 413
        and f"The largest file accepted is {limit // 1024 // 1024} MB" in response.get_data(as_text=True)
    )


def test_another_users_import_is_not_found(client, login, staff, make, nies):
    login(staff)
    pending = pending_of(
        upload(client, xlsx({"Experts": [HEADERS, ["Wang Fang", "w@x.org", "volunteer", "available"]]}))
    )
    colleague = make.user(Role.STAFF, [nies])
    login(colleague)
    assert client.get(f"/imports/{pending.id}").status_code == 404
    assert client.post(f"/imports/{pending.id}/confirm", data={}).status_code == 404


def test_discarding_keeps_nothing(client, login, staff):
    login(staff)
    pending = pending_of(
        upload(client, xlsx({"Experts": [HEADERS, ["Wang Fang", "w@x.org", "volunteer", "available"]]}))
    )
    assert client.post(f"/imports/{pending.id}/discard", data={}).status_code == 303
    record = db.session.get(PendingImport, pending.id)
    assert record.status == "discarded" and record.content == b""
    assert "nothing was imported" in client.get(f"/imports/{pending.id}").get_data(as_text=True)


def test_templates_explain_every_column_and_its_allowed_values(client, login, staff):
    login(staff)
    response = client.get("/imports/templates/experts.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Experts", "Notes"]
    headers = [cell.value for cell in book["Experts"][1]]
    assert headers[:2] == ["Name", "Names in other scripts"] and "Engagement basis" in headers
    assert "volunteer" in book["Experts"].data_validations.dataValidation[0].formula1
    notes = [row for row in book["Notes"].iter_rows(values_only=True)]
    basis = next(row for row in notes if row[0] == "Engagement basis")
    assert basis[1] == "yes" and "paid (Paid consultant)" in basis[3]
    assert any(row[0] == "Dates" and "17.03.2026" in row[2] for row in notes)
    workbook = load_workbook(io.BytesIO(client.get("/imports/templates/workbook.xlsx").data))
    assert workbook.sheetnames[0] == "Organisations" and workbook.sheetnames[-1] == "Notes"
    assert client.get("/imports/templates/nothing.xlsx").status_code == 404
