"""Input out of every range answers a message or a 404, never a 500; headers made of user data stay valid."""

import pytest
import sqlalchemy as sa

from crm.auth.models import Role
from crm.core.web import MAX_ID, as_id, content_disposition
from crm.extensions import db
from crm.partners.models import Organisation
from crm.proposals.models import FundingMechanism


@pytest.mark.parametrize(
    "name, header",
    [
        ("TSCC-CA-2025-2026-rev1.pdf", 'attachment; filename="TSCC-CA-2025-2026-rev1.pdf"'),
        (
            "TSCC-CA-2027–2028-rev1.pdf",
            "attachment; filename=\"TSCC-CA-2027_2028-rev1.pdf\"; filename*=UTF-8''TSCC-CA-2027%E2%80%932028-rev1.pdf",
        ),
        (
            'the "final" one.docx',
            "attachment; filename=\"the _final_ one.docx\"; filename*=UTF-8''the%20%22final%22%20one.docx",
        ),
        ("Ürümqi.pdf", "attachment; filename=\"Urumqi.pdf\"; filename*=UTF-8''%C3%9Cr%C3%BCmqi.pdf"),
        ("../../etc/passwd", 'attachment; filename=".._.._etc_passwd"'),
        (
            "a\r\nSet-Cookie: x=1\u202egpj.exe",
            "attachment; filename=\"a__Set-Cookie_ x_1_gpj.exe\"; filename*=UTF-8''a__Set-Cookie%3A%20x%3D1_gpj.exe",
        ),
        ("", 'attachment; filename="download"'),
    ],
)
def test_content_disposition_is_ascii_with_the_exact_name_in_utf8(name, header):
    value = content_disposition(name)
    assert value.isascii() and "\r" not in value and "\n" not in value
    assert value == header


def test_a_report_exported_for_a_period_labelled_with_an_en_dash_and_a_quote(client, make, login):
    centre = make.centre(code="TSCC-Q")
    section = make.report_section(centre, make.period(centre, label='2027–2028 "draft"'))
    login(make.user(Role.STAFF, [centre]))
    for fmt, disposition in (("pdf", "inline"), ("docx", "attachment"), ("html", "attachment")):
        response = client.get(f"/reports/sections/{section.id}/export.{fmt}")
        assert response.status_code == 200
        header = response.headers["Content-Disposition"]
        assert header.isascii() and header.startswith(f'{disposition}; filename="TSCC-Q-2027_2028 _draft_-')
        assert "filename*=UTF-8''TSCC-Q-2027%E2%80%932028%20%22draft%22-resource-mobilisation-rev1." + fmt in header
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("raw, expected", [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID)])
def test_ids_within_range(raw, expected):
    assert as_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "-1", str(MAX_ID + 1), "10" * 10, "9" * 5000, "1e3", "١٢٣", "abc", None])
def test_ids_out_of_range_are_none(raw):
    assert as_id(raw) is None


def test_ids_and_pages_out_of_range_are_404s(client, make, login):
    login(make.user(Role.COORDINATOR))
    for path in ("/organisations/2147483648", "/organisations/99999999999999999999", "/organisations/" + "9" * 5000):
        assert client.get(path).status_code == 404, path
    assert client.get("/organisations?page=2").status_code == 200
    for page in ("0", "abc", "99999999999999999999", "9" * 5000, "1.5"):
        assert client.get(f"/organisations?page={page}").status_code == 404, page


def test_a_dashboard_asked_for_year_9999_says_so(client, make, login):
    login(make.user(Role.COORDINATOR))
    response = client.get("/dashboards/network?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 200
    assert "outside the dates the records cover" in response.get_data(as_text=True)


def test_a_website_typed_without_its_scheme_is_kept_as_https(client, make, login):
    login(make.user(Role.STAFF, [make.centre()]))
    kind = make.organisation_type()
    saved = client.post("/organisations/new", data={"name": "CBD", "type_id": kind.id, "website": "www.cbd.int"})
    assert saved.status_code == 302
    assert db.session.scalar(sa.select(Organisation.website).where(Organisation.name == "CBD")) == "https://www.cbd.int"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "ftp://x.org", "https://"]
)
def test_a_website_is_an_http_address_wherever_one_is_kept(client, make, login, url):
    login(make.user(Role.STAFF, [make.centre()]))
    kind = make.organisation_type()
    organisation = client.post("/organisations/new", data={"name": "Evil Org", "type_id": kind.id, "website": url})
    assert organisation.status_code == 422 and "such as www.cbd.int or https://www.cbd.int" in organisation.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(Organisation).where(Organisation.name == "Evil Org")) is None
    funder = make.organisation()
    data = {"funder_id": funder.id, "name": "Evil fund", "kind": "programme", "website": url}
    mechanism = client.post("/funders/new", data=data)
    assert mechanism.status_code == 422 and "such as www.cbd.int" in mechanism.get_data(as_text=True)
    assert db.session.scalar(sa.select(FundingMechanism).where(FundingMechanism.name == "Evil fund")) is None
