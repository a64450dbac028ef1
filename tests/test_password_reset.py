"""Password reset from the login page: a single-use, time-limited link sent by the mail job, the same answer
whether or not the address has an account, a throttle of its own."""

import re
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.auth.models import PasswordReset, Role
from crm.auth.reset import LINKS_PER_ACCOUNT, REQUESTS_PER_ADDRESS, request_reset
from crm.core.mail import OutboxMessage
from crm.extensions import db
from tests import hostile
from tests.mailserver import free_port, smtp_server

OLD = "the old passphrase here"
NEW = "a brand new passphrase"


@pytest.fixture
def smtp(app, monkeypatch):
    port = free_port()
    for key, value in {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none"}.items():
        monkeypatch.setitem(app.config, key, value)
    with smtp_server(port) as server:
        yield server


@pytest.fixture
def user(make):
    return make.user(Role.COORDINATOR, password=OLD, email="olga@tscc.example", name="Ольга Петрова")


def ask(client, email, address="10.0.0.7"):
    return client.post("/password-reset", data={"email": email}, environ_base={"REMOTE_ADDR": address})


def send_mail(app):
    return app.test_cli_runner().invoke(args=["mail", "send-due"])


def link_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/password-reset/\S+)", text).group(1)


def test_a_forgotten_password_is_reset_from_the_login_page_through_the_mail_job(app, client, smtp, user):
    _, inbox = smtp
    signed_in = app.test_client()
    signed_in.post("/login", data={"email": user.email, "password": OLD})
    assert signed_in.get("/").status_code == 200

    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/password-reset"' in login_page
    response = ask(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "a message with a link" in client.get("/login").get_data(as_text=True)
    # Queued, not sent: the web request never talks to the mail server.
    assert inbox.messages == []
    assert send_mail(app).exit_code == 0 and len(inbox.messages) == 1

    message = inbox.messages[0]
    assert message["Subject"] == "Reset your password" and message["To"].addresses[0].display_name == "Ольга Петрова"
    assert "Ольга Петрова" in message.get_body(("html",)).get_content()
    path = link_path(message)
    assert f'href="http://127.0.0.1:5000{path}"' in message.get_body(("html",)).get_content()
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"

    done = client.post(path, data={"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    # The session that was signed in is out; the new password works, the old one does not.
    assert signed_in.get("/").status_code == 302
    assert client.post("/login", data={"email": user.email, "password": OLD}).status_code == 401
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302

    again = app.test_client().get(path)
    assert again.status_code == 410 and "was used already" in again.get_data(as_text=True)
    assert "Ask for a new link" in again.get_data(as_text=True)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(app, client, user):
    known, unknown = ask(client, user.email), ask(app.test_client(), "nobody@tscc.example")
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    with client.session_transaction() as session:
        said_known = session["_flashes"][0][1]
    assert said_known.replace(user.email, "X") == (
        "If an account uses X, a message with a link to choose a new password is on its way; it may take a minute "
        "or two. The link works once, within 60 minutes."
    )
    queued = db.session.scalars(sa.select(OutboxMessage.to_address)).all()
    assert queued == [user.email]


def test_a_disabled_account_gets_no_link(client, user):
    user.active = False
    db.session.commit()
    assert ask(client, user.email).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_an_expired_or_unknown_link_says_so_clearly(app, client, smtp, user):
    _, inbox = smtp
    ask(client, user.email)
    send_mail(app)
    path = link_path(inbox.messages[0])
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.user_id == user.id))
    reset.expires_at = reset.requested_at - timedelta(seconds=1)
    db.session.commit()
    expired = client.get(path)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    posted = client.post(path, data={"new_password": NEW, "confirm": NEW})
    assert posted.status_code == 410
    unknown = client.get("/password-reset/" + "z" * 43)
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_a_refused_new_password_is_said_beside_the_field_and_the_link_still_works(app, client, smtp, user):
    _, inbox = smtp
    ask(client, user.email)
    send_mail(app)
    path = link_path(inbox.messages[0])
    short = client.post(path, data={"new_password": "short", "confirm": "short"})
    assert short.status_code == 422 and 'class="error">Use at least 12 characters' in short.get_data(as_text=True)
    differ = client.post(path, data={"new_password": NEW, "confirm": NEW + "x"})
    assert differ.status_code == 422 and 'class="error">The two entries differ.' in differ.get_data(as_text=True)
    assert client.get(path).status_code == 200


def test_a_newer_link_or_a_used_one_kills_the_other_links_of_the_account(app, client, smtp, user):
    _, inbox = smtp
    ask(client, user.email)
    ask(client, user.email)
    send_mail(app)
    first, second = (link_path(m) for m in inbox.messages)
    assert client.post(second, data={"new_password": NEW, "confirm": NEW}).status_code == 302
    assert client.get(first).status_code == 410


def test_requests_are_throttled_per_address_and_links_per_account(app, client, user):
    for n in range(REQUESTS_PER_ADDRESS):
        assert ask(client, f"someone{n}@tscc.example", address="10.9.9.9").status_code == 302
    throttled = ask(client, user.email, address="10.9.9.9")
    assert throttled.status_code == 429 and "Too many reset requests" in throttled.get_data(as_text=True)

    for n in range(LINKS_PER_ACCOUNT + 2):
        assert ask(client, user.email, address=f"10.8.0.{n}").status_code == 302
    links = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == user.email)
    )
    assert links == LINKS_PER_ACCOUNT


def fresh_link(user) -> str:
    """A usable link for ``user`` as the mail job would send it; earlier requests are cleared, so no throttle."""
    db.session.execute(sa.delete(OutboxMessage))
    db.session.execute(sa.delete(PasswordReset))
    request_reset(user.email, "10.0.0.7")
    db.session.commit()
    body = db.session.scalars(sa.select(OutboxMessage.text_body)).one()
    return re.search(r"https?://[^/\s]+(/password-reset/\S+)", body).group(1)


def test_the_reset_form_takes_the_hostile_corpus(app, user):
    """The hostile walk cannot post this form (a reset signs the walker out), so it gets the corpus here: every
    value is refused beside the field or becomes the password exactly as typed (a NUL too: passwords are hashed,
    never stored as text), never a 500, never shown as markup."""
    outcomes = Counter()
    for label, value in (hostile.TEXTS | hostile.REFUSED_TEXTS | hostile.LONG | hostile.SOME_NUMBERS).items():
        client = app.test_client()
        path = fresh_link(user)
        response = client.post(path, data={"new_password": value, "confirm": value})
        body = response.get_data(as_text=True)
        assert response.status_code in (302, 422), (label, response.status_code)
        assert "<script>alert" not in body, label
        if response.status_code == 302:
            outcomes["set"] += 1
            signed_in = client.post("/login", data={"email": user.email, "password": value})
            assert signed_in.status_code == 302, label
        else:
            outcomes["refused"] += 1
            assert 'class="error"' in body and client.get(path).status_code == 200, label
    assert outcomes["set"] and outcomes["refused"], outcomes
