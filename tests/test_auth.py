import pytest
import sqlalchemy as sa

from crm.auth import services
from crm.auth.models import LoginAttempt, Role, User
from crm.auth.views import safe_next
from crm.extensions import db

PASSWORD = "a long enough passphrase"


def sign_in(client, email, password=PASSWORD, next_=None, address="10.0.0.1"):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_login_lands_on_home_and_shows_own_centre_only(client, make):
    own = make.centre(name="Own centre")
    make.centre(name="Other centre")
    user = make.user(Role.STAFF, [own], password=PASSWORD)
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Own centre" in page and "Other centre" not in page


def test_coordinator_sees_every_centre(client, make, login):
    make.centre(name="Centre one"), make.centre(name="Centre two")
    login(make.user(Role.COORDINATOR))
    page = client.get("/").get_data(as_text=True)
    assert "Centre one" in page and "Centre two" in page


def test_wrong_password_is_refused_with_a_message(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    response = sign_in(client, user.email, "not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password" in response.get_data(as_text=True)


def failing(client, email, times, address):
    for _ in range(times):
        assert sign_in(client, email, "wrong password", address=address).status_code == 401


def test_five_failures_for_one_account_from_one_address_lock_that_pair_even_with_the_right_password(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    failing(client, user.email, 5, "10.0.1.1")
    response = sign_in(client, user.email, address="10.0.1.1")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_an_attacker_guessing_the_owners_password_does_not_lock_the_owner_out(app, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    owner, attacker = app.test_client(), app.test_client()
    failing(attacker, user.email, 5, "203.0.113.9")
    assert sign_in(attacker, user.email, address="203.0.113.9").status_code == 429
    assert sign_in(owner, user.email, address="10.0.0.7").status_code == 302


def test_colleagues_behind_one_address_are_not_locked_out_by_one_anothers_failures(app, make):
    office = "198.51.100.20"
    careless, colleague = make.user(Role.COORDINATOR, password=PASSWORD), make.user(Role.STAFF, password=PASSWORD)
    failing(app.test_client(), careless.email, 5, office)
    for n in range(10):
        failing(app.test_client(), f"typo{n}@test.example", 1, office)
    assert sign_in(app.test_client(), colleague.email, address=office).status_code == 302


def test_password_spraying_from_one_address_is_stopped_past_the_address_limit(app, make):
    limit = app.config["LOGIN_FAILURES_PER_ADDRESS"]
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 6
    try:
        user = make.user(Role.COORDINATOR, password=PASSWORD)
        for n in range(6):
            failing(app.test_client(), f"target{n}@test.example", 1, "192.0.2.66")
        assert sign_in(app.test_client(), user.email, address="192.0.2.66").status_code == 429
    finally:
        app.config["LOGIN_FAILURES_PER_ADDRESS"] = limit


def test_a_browser_where_the_account_signed_in_before_is_never_locked_by_others(app, make):
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = 5
    try:
        user = make.user(Role.COORDINATOR, password=PASSWORD)
        own_browser = app.test_client()
        assert sign_in(own_browser, user.email, address="10.0.0.7").status_code == 302
        own_browser.post("/logout")
        for n in range(5):  # a distributed guess of this account, from five addresses
            failing(app.test_client(), user.email, 1, f"203.0.113.{n}")
        assert sign_in(app.test_client(), user.email, address="10.0.0.8").status_code == 429, "a new browser waits"
        assert sign_in(own_browser, user.email, address="10.0.0.7").status_code == 302, "the owner's does not"
    finally:
        app.config["LOGIN_FAILURES_PER_ACCOUNT"] = limit


def test_a_forged_device_cookie_is_ignored(app, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    client = app.test_client()
    client.set_cookie("crm_device", "eyJkIjoieCIsInUiOlsxXX0.forged", path="/login")
    failing(client, user.email, 5, "10.0.3.3")
    assert sign_in(client, user.email, address="10.0.3.3").status_code == 429


def test_the_client_address_is_read_through_the_configured_proxy(make):
    """Behind one proxy the address is the one it forwarded; a client's own X-Forwarded-For hops are not believed."""
    from crm import create_app

    proxied = create_app({"TRUSTED_PROXIES": 1, "SQLALCHEMY_DATABASE_URI": db.engine.url, "SERVER_NAME": "localhost"})
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    client = proxied.test_client()
    for _ in range(5):
        response = client.post(
            "/login",
            data={"email": user.email, "password": "wrong password"},
            headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.1"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        assert response.status_code == 401
    keys = set(db.session.scalars(sa.select(LoginAttempt.key)))
    assert "address:192.0.2.1" in keys and "address:6.6.6.6" not in keys and "address:10.0.0.1" not in keys


def test_failures_are_counted_in_the_database(client, make):
    sign_in(client, "someone@test.example", "wrong", address="10.3.3.3")
    keys = set(db.session.scalars(sa.select(LoginAttempt.key)))
    assert {"pair:someone@test.example|10.3.3.3", "account:someone@test.example", "address:10.3.3.3"} <= keys


def test_logout_kills_a_copied_cookie(client, make, app):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    sign_in(client, user.email)
    cookie = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_disabled_user_is_refused_at_the_next_request(client, make, login):
    user = make.user(Role.COORDINATOR)
    login(user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.flush()
    assert client.get("/").status_code == 302


def test_next_only_redirects_to_this_site(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    response = sign_in(client, user.email, next_="https://evil.example/")
    assert response.headers["Location"] == "/"
    for bad in ("//evil.example", "/\\evil.example", "https:/evil", "javascript:alert(1)", "evil"):
        assert safe_next(bad) is None
    assert safe_next("/centres?x=1") == "/centres?x=1"


def test_password_change_needs_the_current_password_and_rotates_the_session_token(client, make, app):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    sign_in(client, user.email)
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert copied.get("/").status_code == 200
    refused = client.post(
        "/account/password", data={"current_password": "nope", "new_password": "x" * 14, "confirm": "x" * 14}
    )
    assert refused.status_code == 422 and "current password is not right" in refused.get_data(as_text=True)
    new = "another long passphrase"
    done = client.post("/account/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert done.status_code == 302
    assert client.get("/").status_code == 200, "the browser that changed it stays signed in"
    assert copied.get("/").status_code == 302, "every other copy of the old cookie is signed out"
    assert db.session.get(User, user.id).check_password(new)


def test_admin_creates_disables_and_assigns_users(client, make, login):
    centre = make.centre()
    login(make.user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Person@Test.example",
            "name": "New person",
            "role": "staff",
            "centres": [centre.code],
            "password": "twelve chars or more",
            "active": "y",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new.person@test.example"))
    assert user.centres == [centre] and user.role == Role.STAFF
    response = client.post(
        f"/admin/users/{user.id}",
        data={"name": "New person", "role": "staff", "centres": [centre.code], "version": user.version},
    )
    assert response.status_code == 302
    assert db.session.get(User, user.id).active is False


def test_duplicate_email_and_staff_without_centre_are_refused(client, make, login):
    existing = make.user(Role.COORDINATOR)
    login(make.user(Role.ADMIN))
    data = {"email": existing.email, "name": "X", "role": "coordinator", "password": "twelve chars or more"}
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data=data | {"email": "fresh@test.example", "role": "staff"})
    assert response.status_code == 422 and "at least one centre" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "fresh@test.example")) is None


def test_cli_creates_a_user_with_the_password_from_stdin(app, make):
    centre = make.centre()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "cli@test.example", "--role", "staff", "--centre", centre.code],
        input="a password from a pipe\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "cli@test.example"))
    assert user.check_password("a password from a pipe") and user.centres == [centre]
    result = runner.invoke(
        args=["users", "create", "cli2@test.example", "--role", "staff", "--centre", "NOPE"],
        input="a password from a pipe\n",
    )
    assert result.exit_code != 0 and "No centre with the code NOPE" in result.output


def test_moving_a_user_between_centres_is_kept_in_the_history(client, make, login):
    nies, ca = make.centre(code="TSCC-NIES"), make.centre(code="TSCC-CA")
    user = make.user(Role.STAFF, [nies])
    login(make.user(Role.ADMIN))
    data = {"name": user.name, "role": "staff", "active": "y", "centres": [ca.code, nies.code], "version": user.version}
    assert client.post(f"/admin/users/{user.id}", data=data).status_code == 302
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "<li>Centres changed from TSCC-NIES to TSCC-CA, TSCC-NIES</li>" in page


def test_a_crlf_or_control_character_in_next_is_ignored(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    response = sign_in(client, user.email, next_="/centres%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Set-Cookie: x=1" not in str(response.headers)
    for bad in ("/a\r\nb", "/a\nb", "/a\x00b", "/a\tb"):
        assert safe_next(bad) is None


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaaaa", "password1234", "123456789012", "qwertyuiopas", "user12@test.example"]
)
def test_weak_passwords_are_refused_with_advice(weak):
    with pytest.raises(services.AccountError, match="too easy to guess|e-mail") as refused:
        services.check_password_strength(weak, "user12@test.example", "Ada Lovelace")
    assert refused.value.field == "password"


def test_a_password_made_of_the_users_own_name_is_refused():
    with pytest.raises(services.AccountError, match="too easy to guess"):
        services.check_password_strength("lovelaceada1", "ada@test.example", "Ada Lovelace")


def test_the_password_rule_holds_in_the_admin_form_the_password_change_and_the_cli(app, client, make, login):
    login(make.user(Role.ADMIN))
    data = {"email": "new@test.example", "name": "New", "role": "coordinator", "password": "aaaaaaaaaaaa"}
    refused = client.post("/admin/users/new", data=data)
    assert refused.status_code == 422 and "too easy to guess" in refused.get_data(as_text=True)
    assert services.find_user("new@test.example") is None
    result = app.test_cli_runner().invoke(
        args=["users", "create", "cli@test.example", "--role", "coordinator"], input="aaaaaaaaaaaa\n"
    )
    assert result.exit_code == 1 and "too easy to guess" in result.output
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    login(user)
    weak = {"current_password": PASSWORD, "new_password": "password1234", "confirm": "password1234"}
    refused = client.post("/account/password", data=weak)
    assert refused.status_code == 422 and "too easy to guess" in refused.get_data(as_text=True)


def test_an_unknown_email_costs_the_same_password_hash_as_a_known_one(client, make, monkeypatch):
    """Timings are never asserted here: the same work is. Both answers check one scrypt hash."""
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    monkeypatch.setattr("crm.auth.models.check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    sign_in(client, "nobody-here@test.example", "wrong password", address="10.8.0.1")
    sign_in(client, user.email, "wrong password", address="10.8.0.2")
    assert len(checked) == 2 and all(h.startswith("scrypt:") for h in checked)


def test_the_last_active_administrator_cannot_be_demoted_or_disabled(app, client, make, login):
    admin = make.user(Role.ADMIN)
    db.session.execute(sa.update(User).where(User.id != admin.id, User.role == Role.ADMIN).values(active=False))
    db.session.commit()
    login(admin)
    for change in ({"role": "coordinator", "active": "y"}, {"role": "admin"}):
        data = {"name": admin.name, "version": admin.version} | change
        refused = client.post(f"/admin/users/{admin.id}", data=data)
        assert refused.status_code == 422 and "only active administrator" in refused.get_data(as_text=True)
    runner = app.test_cli_runner()
    for option in (["--role", "coordinator"], ["--disabled"]):
        result = runner.invoke(args=["users", "update", admin.email, *option])
        assert result.exit_code == 1 and "only active administrator" in result.output
    db.session.refresh(admin)
    assert admin.is_admin and admin.active
    second = make.user(Role.ADMIN)
    result = runner.invoke(args=["users", "update", admin.email, "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["users", "update", second.email, "--disabled"]).exit_code == 1


def test_an_address_as_long_as_email_allows_is_throttled_too(client):
    email = "a" * 64 + "@" + ("b" * 59 + ".") * 3 + "example"
    failing(client, email, 5, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
    assert sign_in(client, email, address="2001:db8:ffff:ffff:ffff:ffff:ffff:ffff").status_code == 429
