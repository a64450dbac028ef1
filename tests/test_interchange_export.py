"""Exports of every list: its filters, numbers as numbers, dates as dates, names in any script, no formula run."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from crm.auth.models import Role
from crm.extensions import db
from crm.interchange import services, writing
from crm.interchange.services import Options
from tests.spreadsheets import xlsx

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,2)", "'=already quoted"]


def csv_text(response) -> str:
    data = response.get_data()
    assert data.startswith("\ufeff".encode())  # so that Excel reads UTF-8
    return data.decode("utf-8-sig")


def test_text_a_spreadsheet_would_run_is_neutralised_and_comes_back_as_it_was(client, login, staff, nies, make):
    for number, name in enumerate(HOSTILE):
        make.expert(nies, name=name, email=f"h{number}@x.org")
    login(staff)
    text = csv_text(client.get("/exports/experts.csv"))
    for name in HOSTILE:
        assert "'" + name in text  # one apostrophe before, whatever followed
    book = load_workbook(io.BytesIO(client.get("/exports/experts.xlsx").data))
    names = {cell.value: cell for cell in book["Experts"]["B"][1:]}
    for name in HOSTILE:
        assert names[name].data_type == "s" and names[name].quotePrefix  # text, never a formula cell
    # Both files import again without a change: the apostrophe the CSV added is dropped on the way in.
    for fmt in ("csv", "xlsx"):
        content = client.get(f"/exports/experts.{fmt}").get_data()
        outcome = services.run(content, nies, staff, Options(register="experts"))
        assert not outcome.errors and outcome.sheets[0].unchanged == len(HOSTILE), outcome.issues


def test_numbers_are_numbers_in_their_minor_units_and_dates_are_dates(client, login, staff, nies, make):
    make.ledger_entry(
        nies, amount="500000", currency="CNY", booked_on=date(2025, 5, 20), purpose_detail="Daily operation"
    )
    make.ledger_entry(nies, amount="1500000", currency="JPY", booked_on=date(2025, 6, 1))
    make.ledger_entry(nies, amount="12.345", currency="IQD", booked_on=date(2025, 6, 2))
    login(staff)
    book = load_workbook(io.BytesIO(client.get("/exports/ledger.xlsx").data))
    sheet = book["Resources"]
    headers = [cell.value for cell in sheet[1]]
    rows = {row[headers.index("Currency")].value: row for row in sheet.iter_rows(min_row=2)}
    formats = {code: row[headers.index("Amount")].number_format for code, row in rows.items()}
    assert formats == {"CNY": "#,##0.00", "JPY": "#,##0", "IQD": "#,##0.000"}
    amount = rows["CNY"][headers.index("Amount")]
    assert amount.data_type == "n" and Decimal(str(amount.value)) == Decimal("500000")
    booked = rows["CNY"][headers.index("Pledged or committed on")]
    assert booked.is_date and booked.value.date() == date(2025, 5, 20)
    text = csv_text(client.get("/exports/ledger.csv"))
    assert "500000.00,CNY,2025-05-20" in text and "1500000,JPY" in text and "12.345,IQD" in text


def test_names_in_chinese_and_cyrillic_survive_a_round_trip(client, login, staff, nies, make):
    kind = make.organisation_type()
    make.organisation(name="Institute of Zoology", other_names="中国科学院动物研究所\nИнститут зоологии", type=kind)
    make.expert(nies, name="Wang Fang", other_names="王芳; Ван Фан", email="w@x.org")
    login(staff)
    assert "中国科学院动物研究所; Институт зоологии" in csv_text(client.get("/exports/organisations.csv"))
    for fmt in ("csv", "xlsx"):
        content = client.get(f"/exports/experts.{fmt}").get_data()
        if fmt == "xlsx":
            assert load_workbook(io.BytesIO(content))["Experts"]["C2"].value == "王芳; Ван Фан"
        assert services.run(content, nies, staff, Options(register="experts")).sheets[0].unchanged == 1


def test_an_export_has_the_list_pages_search_and_filters(client, login, staff, nies, make):
    make.partnership(nies, make.organisation(name="Active partner"), stage="active")
    make.partnership(nies, make.organisation(name="Dormant partner"), stage="dormant")
    login(staff)
    page = client.get("/partnerships?stage=active").get_data(as_text=True)
    assert "/exports/partnerships.csv?stage=active" in page and "/exports/partnerships.xlsx?stage=active" in page
    text = csv_text(client.get("/exports/partnerships.csv?stage=active"))
    assert "Active partner" in text and "Dormant partner" not in text
    text = csv_text(client.get("/exports/experts.csv?q=nobody"))
    assert text.count("\n") == 1  # the headers only


def test_every_list_page_offers_its_export(client, login, staff, make, nies):
    partnership = make.partnership(nies)
    from crm.partners.services import save_contact

    save_contact(partnership, None, {"name": "Jane Doe"})
    make.agreement(nies)
    make.expert_pool(nies)
    make.proposal(nies)
    make.ledger_entry(nies)
    db.session.commit()
    login(make.user(Role.ADMIN))
    for path, register in [("/organisations", "organisations"), ("/rates/", "rates")]:
        assert f"/exports/{register}.xlsx" in client.get(path).get_data(as_text=True)
    login(staff)
    for path, register in [
        ("/partnerships", "partnerships"),
        ("/contacts", "contacts"),
        ("/agreements", "agreements"),
        ("/experts", "experts"),
        ("/experts/pools", "pools"),
        ("/proposals", "proposals"),
        ("/resources", "ledger"),
    ]:
        assert f"/exports/{register}.csv" in client.get(path).get_data(as_text=True), path
    assert client.get("/exports/rates.csv").status_code == 403
    assert (
        client.get("/exports/nothing.csv").status_code == 404 and client.get("/exports/experts.pdf").status_code == 404
    )


def test_contact_details_go_to_the_experts_own_centre_only(client, login, staff, nies, make):
    make.expert(nies, name="Wang Fang", email="wang@ioz.ac.cn", phone="+86 10 1")
    login(staff)
    assert "wang@ioz.ac.cn" in csv_text(client.get("/exports/experts.csv"))
    login(make.user(Role.COORDINATOR))
    text = csv_text(client.get("/exports/experts.csv"))
    assert "Wang Fang" in text and "wang@ioz.ac.cn" not in text and "+86" not in text


def test_table_response_turns_any_rows_into_a_download(app, ctx):
    headers = ["Centre", "Amount", "Currency", "On", "Note"]
    rows = [["TSCC-NIES", writing.Amount(Decimal("900000.0000"), "CNY"), "CNY", date(2026, 1, 1), "=SUM(A1)", "\t=1"]]
    response = writing.table_response([*headers, "Tab"], rows, "xlsx", "resources by centre", sheet="By centre")
    assert 'filename="resources by centre.xlsx"' in response.headers["Content-Disposition"]
    response.direct_passthrough = False
    sheet = load_workbook(io.BytesIO(response.get_data()))["By centre"]
    assert sheet["B2"].number_format == "#,##0.00" and sheet["E2"].data_type == "s" and sheet["E2"].quotePrefix
    assert sheet["F2"].value == "\t=1" and sheet["F2"].quotePrefix
    response = writing.table_response([*headers, "Tab"], rows, "csv", "resources")
    assert (
        response.get_data().decode("utf-8-sig").splitlines()[1] == "TSCC-NIES,900000.00,CNY,2026-01-01,'=SUM(A1),'\t=1"
    )


def test_the_command_line_exports_and_imports_with_exit_codes(app, nies, staff, tmp_path, make):
    make.expert(nies, name="Wang Fang", email="w@x.org")
    db.session.commit()
    runner = app.test_cli_runner()
    exported = tmp_path / "experts.xlsx"
    result = runner.invoke(args=["export", "TSCC-NIES", "experts", "--format", "xlsx", "--output", str(exported)])
    assert result.exit_code == 0 and "Wrote 1 experts" in result.output
    result = runner.invoke(args=["import", "TSCC-NIES", str(exported), "--dry-run"])
    assert result.exit_code == 0 and "0 to create, 0 to update, 1 left alone" in result.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx({"Experts": [["Name", "Engagement basis", "Availability"], ["Li Wei", "volunter", "available"]]})
    )
    marked = tmp_path / "bad-marked-up.xlsx"
    result = runner.invoke(args=["import", "TSCC-NIES", str(bad), "--errors", str(marked)])
    assert result.exit_code == 1 and "Experts B2 (Engagement basis)" in result.output and marked.exists()
    not_a_sheet = tmp_path / "cv.xlsx"
    not_a_sheet.write_bytes(b"%PDF-1.7")
    assert runner.invoke(args=["import", "TSCC-NIES", str(not_a_sheet)]).exit_code == 3
    assert runner.invoke(args=["import", "TSCC-XX", str(bad)]).exit_code == 2
    good = tmp_path / "good.csv"
    good.write_text("Name;Engagement basis;Availability\nLi Wei;volunteer;available\n", encoding="utf-8")
    result = runner.invoke(args=["import", "TSCC-NIES", str(good), "--register", "experts"])
    assert result.exit_code == 0 and "1 to create" in result.output


# --- every export in its list's order, with its filters -----------------------------------------------------


def _ids_on(page: str, path: str) -> list[int]:
    """The records a list page links to, in the order it shows them."""
    import re

    return list(dict.fromkeys(int(n) for n in re.findall(rf'href="{path}/(\d+)"', page)))


def _refs_in(content: bytes, column: str = "Ref") -> list[int]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    return [int(row[headers.index(column)].split("-")[1]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_every_export_has_its_lists_order_and_filters(client, login, make):
    from bench.generate import Scale, generate

    generate(Scale(centres=2, organisations=40, proposals=80, entries=120, experts=30, partnerships_per_centre=12))
    login(make.user(Role.COORDINATOR))
    cases = [
        ("/proposals?sort=title", "proposals", "/proposals"),
        ("/proposals?sort=-deadline&status=in_preparation", "proposals", "/proposals"),
        ("/proposals?centre=B-02&sort=submitted", "proposals", "/proposals"),
        ("/proposals", "proposals", "/proposals"),
        ("/organisations?sort=-country", "organisations", "/organisations"),
        ("/partnerships?sort=-stage&centre=B-01", "partnerships", "/partnerships"),
        ("/agreements?sort=since", "agreements", "/agreements"),
        ("/experts?centre=B-01", "experts", "/experts"),
        ("/resources?stage=committed&category=bilateral", "ledger", "/resources"),
    ]
    for url, register, path in cases:
        page = client.get(url).get_data(as_text=True)
        shown = _ids_on(page, path)
        assert shown, url
        query = url.partition("?")[2]
        exported = _refs_in(client.get(f"/exports/{register}.xlsx?{query}").data)
        assert exported[: len(shown)] == shown, url
    # Money received: its list links each tranche's entry; the export names it.
    page = client.get("/resources/receipts?centre=B-01").get_data(as_text=True)
    against = _ids_on(page, "/resources")
    entries = _refs_in(client.get("/exports/tranches.xlsx?centre=B-01").data, "Entry")
    assert against and list(dict.fromkeys(entries))[: len(against)] == against


def test_a_streamed_export_is_read_while_its_request_has_a_session(fresh_app):
    """As gunicorn serves it: the response is read after the request's app context (and its session) is gone.
    No app context is open around the request here, unlike the other tests', which hid the defect."""
    from tests.factories import Factory

    served = fresh_app("export_stream")
    with served.app_context():
        make = Factory()
        centre = make.centre()
        for number in range(3):
            make.expert(centre, name=f"Streamed {number}", email=f"s{number}@x.org")
        token = make.user(Role.STAFF, [centre]).session_token
    client = served.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    response = client.get("/exports/experts.csv", buffered=False)
    assert response.status_code == 200
    assert all(f"Streamed {number}" in csv_text(response) for number in range(3))
