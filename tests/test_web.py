"""Security headers, CSRF, error pages, optimistic locking, audit log."""

import pytest
import sqlalchemy as sa

from crm import create_app
from crm.audit.models import AuditEntry
from crm.audit.services import history_for
from crm.auth.models import Role
from crm.centres.models import Centre
from crm.extensions import db


def test_security_headers(client, make):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    user = make.user(Role.COORDINATOR, password="a long enough passphrase")
    cookie_response = client.post("/login", data={"email": user.email, "password": "a long enough passphrase"})
    set_cookie = cookie_response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_state_changes_need_a_csrf_token(app):
    csrf_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "x@test.example", "password": "whatever"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


def test_friendly_404_without_a_stack_trace(client, make, login):
    login(make.user(Role.COORDINATOR))
    response = client.get("/centres/NO-SUCH-CENTRE")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_no_state_change_on_get(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("auth.logout",):
            assert "GET" not in rule.methods


def test_a_stale_edit_is_a_conflict_showing_what_changed(client, make, login):
    centre = make.centre(name="Original name")
    login(make.user(Role.ADMIN))
    form = {
        "code": centre.code,
        "name": "My edit",
        "host_institution": centre.host_institution,
        "host_country": "CN",
        "reporting_currency": "CNY",
        "parties": ["CN"],
        "version": centre.version,
    }
    centre.name = "Someone else's edit"
    db.session.commit()
    response = client.post(f"/centres/{centre.code}/edit", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else&#39;s edit" in page and "My edit" in page
    assert db.session.get(Centre, centre.id).name == "Someone else's edit"


def test_every_change_is_audited_with_before_and_after(make):
    centre = make.centre(name="Before")
    centre.name = "After"
    db.session.flush()
    entries = history_for(centre)
    assert [e.action for e in entries] == ["update", "create"]
    assert entries[0].changes == {"name": ["Before", "After"]}
    assert entries[0].centre_id == centre.id
    centre_id = centre.id
    db.session.delete(centre)
    db.session.flush()
    deleted = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity == "centres", AuditEntry.entity_id == centre_id, AuditEntry.action == "delete"
        )
    ).one()
    assert deleted.changes["name"] == ["After", None]


def test_the_audit_log_cannot_be_rewritten(make):
    centre = make.centre()
    entry = history_for(centre)[0]
    entry.label = "forged"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_secrets_stay_out_of_the_audit_log(make):
    user = make.user(Role.COORDINATOR, password="a long enough passphrase")
    created = history_for(user)[0].changes
    assert "password_hash" not in created and "session_token" not in created


def test_profile_keeps_name_language_and_locale(client, make, login):
    user = make.user(Role.COORDINATOR)
    login(user)
    data = {"name": "Renamed", "language": "zh_Hans_CN", "locale": "ru", "version": user.version}
    response = client.post("/account", data=data)
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.language, user.locale) == ("Renamed", "zh_Hans_CN", "ru")


def test_admin_reads_the_audit_log_filtered(client, make, login):
    centre = make.centre(name="Audited centre")
    centre.name = "Audited centre, renamed"
    db.session.commit()
    login(make.user(Role.ADMIN))
    page = client.get(f"/admin/audit?entity=centres&centre={centre.code}").get_data(as_text=True)
    assert "Audited centre, renamed" in page and "users" not in page.split("<tbody>")[1].split("</tbody>")[0]


def test_upload_over_the_limit_gets_the_413_page_with_the_limit(app, make, login, client):
    login(make.user(Role.ADMIN))
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/admin/users/new", data={"name": "x" * (limit + 1)})
    assert response.status_code == 413
    assert f"{limit // (1024 * 1024)} MB" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_friendly_500_without_a_trace(app):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = broken.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page
