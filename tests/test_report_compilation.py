"""For the GCE: each centre's submitted revision beside any newer draft, the date filed as staff give it, and the
network compilation (PDF and Word) of every submitted section with its synthesis table."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from docx import Document

from crm.auth.models import Role, User
from crm.centres.services import centre_by_code
from crm.extensions import db
from crm.reports import compilation, services
from tests.exported import pdf_text


def staff(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def submitted(seeded):
    """NIES submitted on 30 April 2026 and a revision 2 started since; CA submitted; rates of the UN."""
    nies, ca = seeded["TSCC-NIES"], seeded["TSCC-CA"]
    first = services.start_section(nies, nies.periods[0])
    services.submit(first, staff("staff.nies@demo.tscc.example"), date(2026, 4, 30), today=date(2026, 5, 2))
    services.new_revision(first)
    services.submit(services.start_section(ca, ca.periods[0]), None, date(2026, 4, 30), today=date(2026, 5, 2))
    db.session.commit()
    return first


def test_the_date_filed_is_the_day_staff_give_today_by_default_never_in_the_future(make, login, client):
    centre = make.centre()
    section = make.report_section(centre)
    login(make.user(Role.STAFF, [centre]))
    url = f"/reports/sections/{section.id}/submit"
    future = (date.today() + timedelta(days=3)).isoformat()
    refused = client.post(url, data={"version": section.version, "confirm": "y", "filed_on": future})
    assert refused.status_code == 422 and "is in the future" in refused.get_data(as_text=True)
    early = client.post(url, data={"version": section.version, "confirm": "y", "filed_on": "2024-12-31"})
    assert early.status_code == 422 and "before the period began" in early.get_data(as_text=True)
    assert (
        client.post(url, data={"version": section.version, "confirm": "y", "filed_on": "2026-04-30"}).status_code == 302
    )
    db.session.refresh(section)
    assert section.filed_on == date(2026, 4, 30) and section.snapshot["filed_on"] == "2026-04-30"
    assert (
        services.section_data(section).status_line == "Biennial report 2025-2026 · Revision 1, submitted 30 April 2026"
    )
    other = make.report_section(make.centre())
    services.submit(other, None, today=date(2026, 5, 4))
    assert other.filed_on == date(2026, 5, 4)


def test_coordinators_see_each_submitted_revision_beside_any_newer_draft(submitted, client, login, make):
    login(make.user(Role.COORDINATOR))
    page = client.get("/reports/").get_data(as_text=True)
    nies = page.split("TSCC NIES")[1].split("</tr>")[0]
    assert "Revision 1" in nies and "Submitted 30 April 2026" in nies
    assert "Revision 2" in nies and "Draft" in nies
    assert "Network compilation" in page


def test_the_compilation_gathers_the_submitted_sections_with_their_synthesis(submitted, make, tmp_path):
    # The UN operational rate of April 2026, as the UN Treasury publishes it (units per USD).
    make.rate("USD", "CNY", "7.10", date(2026, 4, 1), source="un")
    compiled = compilation.gather("2025-2026")
    assert [e.centre.code for e in compiled.submitted] == ["TSCC-CA", "TSCC-NIES"]
    nies = next(e for e in compiled.submitted if e.centre.code == "TSCC-NIES")
    assert nies.revision == 1 and nies.newer_draft == 2
    rows = {row[0].split(" (")[0]: row for row in compiled.table()[:-1]}
    assert rows["TSCC NIES"][1:5] == ["17", "5", "3", "RMB\u00a01,150,000"]
    # 1,150,000 / 7.10 = 161,971.83..., rounded once to the cent.
    assert rows["TSCC NIES"][5] == "USD\u00a0161,971.83"
    assert "Office space, office equipment" in rows["TSCC NIES"][6]
    assert rows["TSCC-CA"][1:6] == ["1", "0", "0", "none", "none"]
    assert compiled.table()[-1][:6] == ["2 of 2 centres", "18", "5", "3", "RMB\u00a01,150,000", "USD\u00a0161,971.83"]
    text = re.sub(r"\s+", " ", pdf_text(compilation.render(compiled, "pdf"), tmp_path))
    assert "Partnership development and resource mobilization across the TSCC network" in text
    # The annex cites the UN rate as published (units per USD), divided by: 1,150,000 ÷ 7.1 is the figure shown.
    assert "USD 161,971.83" in text and "1 USD = 7.1 CNY" in text and "UN operational rate" in text
    assert "A newer draft is in preparation for TSCC NIES (revision 2)" in text
    assert text.count("3. Partnership development and resource mobilization") == 2
    assert "revision 1, submitted 30 April 2026" in text
    word = Document(io.BytesIO(compilation.render(compiled, "docx")))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert "USD\u00a0161,971.83" in cells and "Partners developed" in cells


def test_without_a_un_rate_the_compilation_says_so_and_converts_nothing_else(submitted):
    row = next(r for r in compilation.gather("2025-2026").table() if r[0].startswith("TSCC NIES"))
    assert "CNY not converted" in row[5] and "no UN operational rate for CNY" in row[5]


def test_the_compilation_is_for_the_gce_and_its_cli_writes_both_formats(submitted, app, client, login, make, tmp_path):
    login(staff("staff.nies@demo.tscc.example"))
    assert client.get("/reports/compilation").status_code == 403
    login(make.user(Role.COORDINATOR))
    page = client.get("/reports/compilation?period=2025-2026").get_data(as_text=True)
    assert "TSCC NIES" in page and "revision 2 in draft" in page
    assert client.get("/reports/compilation/export.pdf?period=nope").status_code == 404
    pdf = client.get("/reports/compilation/export.pdf?period=2025-2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        out = tmp_path / f"c.{fmt}"
        result = app.test_cli_runner().invoke(
            args=["report", "compile", "--period", "2025-2026", "--format", fmt, "--output", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "2 submitted sections; not submitted: none" in result.output and out.read_bytes().startswith(magic)
    refused = app.test_cli_runner().invoke(args=["report", "compile", "--period", "1999", "--output", str(out)])
    assert refused.exit_code != 0 and "No reporting period is called '1999'" in refused.output


def test_the_cli_exports_the_submitted_revision_or_a_numbered_one(submitted, app, tmp_path):
    out = tmp_path / "s.html"
    args = ["report", "section", "TSCC-NIES", "--period", "2025-2026", "--format", "html", "--output", str(out)]
    result = app.test_cli_runner().invoke(args=[*args, "--revision", "submitted"])
    assert result.exit_code == 0 and "revision 1 (submitted 30 April 2026)" in result.output
    result = app.test_cli_runner().invoke(args=[*args, "--revision", "2"])
    assert result.exit_code == 0 and "revision 2 (draft)" in result.output
    result = app.test_cli_runner().invoke(args=[*args, "--revision", "7"])
    assert result.exit_code != 0 and "There is no revision 7 (revisions: 1, 2)" in result.output
    result = app.test_cli_runner().invoke(args=[*args, "--revision", "newest"])
    assert result.exit_code != 0 and "--revision takes a number" in result.output


def test_the_cli_submits_with_the_date_filed(app, seeded):
    ca = centre_by_code("TSCC-CA")
    services.start_section(ca, ca.periods[0])
    db.session.commit()
    args = ["report", "submit", "TSCC-CA", "--period", "2025-2026"]
    result = app.test_cli_runner().invoke(args=[*args, "--filed-on", "2026-04-30"])
    assert result.exit_code == 0, result.output
    assert "submitted on 2026-04-30" in result.output
    again = app.test_cli_runner().invoke(args=args)
    assert again.exit_code != 0 and "is frozen" in again.output
