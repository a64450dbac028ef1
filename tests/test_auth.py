import sqlalchemy as sa

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


def test_five_failures_a_minute_lock_the_account_even_with_the_right_password(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    for n in range(5):
        assert sign_in(client, user.email, "wrong", address=f"10.0.1.{n}").status_code == 401
    response = sign_in(client, user.email, address="10.0.2.1")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_five_failures_from_one_address_lock_that_address(client, make):
    user = make.user(Role.COORDINATOR, password=PASSWORD)
    for n in range(5):
        sign_in(client, f"nobody{n}@test.example", "wrong", address="10.9.9.9")
    assert sign_in(client, user.email, address="10.9.9.9").status_code == 429
    assert sign_in(client, user.email, address="10.9.9.10").status_code == 302


def test_failures_are_counted_in_the_database(client, make):
    sign_in(client, "someone@test.example", "wrong", address="10.3.3.3")
    keys = set(db.session.scalars(sa.select(LoginAttempt.key)))
    assert {"account:someone@test.example", "address:10.3.3.3"} <= keys


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
    assert '<td class="before">TSCC-NIES</td><td>→</td><td class="after">TSCC-CA, TSCC-NIES</td>' in page
