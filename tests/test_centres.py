import sqlalchemy as sa

from crm.auth.models import Role
from crm.centres.models import Centre
from crm.extensions import db

VALID = {
    "code": "TSCC-X",
    "name": "A new centre",
    "host_institution": "Host",
    "host_country": "KZ",
    "reporting_currency": "KZT",
    "parties": ["KZ", "KG"],
    "launched_on": "2026-02-17",
}


def test_admin_creates_a_centre(client, make, login):
    login(make.user(Role.ADMIN))
    response = client.post("/centres/new", data=VALID)
    assert response.status_code == 302
    centre = db.session.scalar(sa.select(Centre).where(Centre.code == "TSCC-X"))
    assert centre.parties == ["KZ", "KG"] and centre.party_names == ["Kazakhstan", "Kyrgyzstan"]


def test_rmb_is_accepted_as_cny(app):
    from crm.centres.services import check_currency

    assert check_currency("rmb") == "CNY"


def test_duplicate_code_unknown_country_and_currency_are_refused(client, make, login):
    existing = make.centre()
    login(make.user(Role.ADMIN))
    cases = [
        (VALID | {"code": existing.code}, "already exists"),
        (VALID | {"parties": ["KZ", "XX"]}, "not a valid choice"),
        (VALID | {"reporting_currency": "ABC"}, "not a valid choice"),
    ]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Centre))
    for data, message in cases:
        response = client.post("/centres/new", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True).lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Centre)) == before


def test_period_ending_before_it_starts_is_refused(client, make, login):
    centre = make.centre()
    login(make.user(Role.ADMIN))
    response = client.post(
        f"/centres/{centre.code}/periods", data={"label": "bad", "starts_on": "2026-01-01", "ends_on": "2025-01-01"}
    )
    assert response.status_code == 422 and "cannot end before it starts" in response.get_data(as_text=True)
    assert centre.periods == []
    response = client.post(
        f"/centres/{centre.code}/periods",
        data={"label": "2025-2026", "starts_on": "2025-01-01", "ends_on": "2026-04-30"},
    )
    assert response.status_code == 302 and [p.label for p in centre.periods] == ["2025-2026"]


def test_service_refuses_unknown_country_codes(ctx):
    import pytest

    from crm.centres.services import CentreError, check_countries

    with pytest.raises(CentreError, match="Unknown ISO 3166"):
        check_countries(["ZZ"], "parties")
