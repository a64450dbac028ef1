"""The one mail path, tried against a real SMTP server on loopback: the weekly digest, reminders, and what the
job does when the server is down or refuses a message."""

import re
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.auth.models import Role
from crm.core.mail import OutboxMessage, deliver
from crm.extensions import db
from crm.work.services import save_preferences
from tests.mailserver import Inbox, free_port, smtp_server

TODAY = date(2026, 12, 7)  # a Monday
CHINESE = "张伟"
CYRILLIC = "Алексей Иванов"


@pytest.fixture
def smtp(app, monkeypatch):
    """The app pointed at a loopback SMTP server (no TLS); yields (port, inbox)."""
    port = free_port()
    for key, value in {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none", "MAIL_TIMEOUT": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "MAIL_FROM", "TSCC CRM <crm@tscc.example>")
    with smtp_server(port) as server:
        yield server


def run_job(app, today=TODAY):
    return app.test_cli_runner().invoke(args=["mail", "send-due", "--today", today.isoformat()])


def body(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@pytest.fixture
def nies(make):
    """A centre with a Chinese-named staff member owning a proposal whose title is in Cyrillic, due in 7 days."""
    centre = make.centre(code="TSCC-NIES", name="NIES centre")
    owner = make.user(Role.STAFF, [centre], name=CHINESE, email="zhang@nies.example")
    colleague = make.user(Role.STAFF, [centre], name=CYRILLIC, email="alexei@nies.example")
    proposal = make.proposal(
        centre, title="Заявка в ГЭФ: сохранение степей", deadline_on=TODAY + timedelta(days=7), owner_id=owner.id
    )
    return {"centre": centre, "owner": owner, "colleague": colleague, "proposal": proposal}


def test_the_digest_and_a_reminder_arrive_with_headers_both_parts_links_and_names_intact(app, smtp, nies):
    port, inbox = smtp
    result = run_job(app)
    assert result.exit_code == 0, result.output
    assert (
        "Queued 2 digest(s) and 1 reminder(s)" in result.output
        and f"Sent 3 message(s) to 127.0.0.1:{port}" in result.output
    )

    reminder = next(m for m in inbox.messages if m["Subject"].startswith("Reminder"))
    assert reminder["Subject"] == "Reminder: proposal deadline in 7 days — Заявка в ГЭФ: сохранение степей"
    assert (
        reminder["To"].addresses[0].display_name == CHINESE
        and reminder["To"].addresses[0].addr_spec == "zhang@nies.example"
    )
    assert reminder["From"].addresses[0].addr_spec == "crm@tscc.example"
    assert reminder["Date"].datetime is not None and re.fullmatch(r"<.+@127\.0\.0\.1>", reminder["Message-ID"])
    link = f"http://127.0.0.1:5000/proposals/{nies['proposal'].id}"
    text, html = body(reminder, "plain"), body(reminder, "html")
    assert f"Hello {CHINESE}," in text and "Заявка в ГЭФ" in text and link in text and "14 December 2026" in text
    assert f"Hello {CHINESE}," in html and "Заявка в ГЭФ" in html and f'href="{link}"' in html
    assert "http://127.0.0.1:5000/my-work/settings" in text

    digests = [m for m in inbox.messages if m["Subject"].startswith("What is due")]
    assert {m["To"].addresses[0].display_name for m in digests} == {CHINESE, CYRILLIC}
    colleague = next(m for m in digests if m["To"].addresses[0].display_name == CYRILLIC)
    assert colleague["Subject"] == "What is due: 1 in the next 30 days"
    assert f"Hello {CYRILLIC}," in body(colleague, "plain") and "TSCC-NIES" in body(colleague, "plain")
    assert f'href="{link}"' in body(colleague, "html") and "http://127.0.0.1:5000/my-work" in body(colleague, "html")
    # The owner's digest lists it under "Yours"; the colleague's under the centre, with its owner's name.
    assert "Yours" in body(next(m for m in digests if m is not colleague), "plain")
    assert CHINESE in body(colleague, "plain")


def test_each_message_is_written_in_its_recipients_language(app, smtp, nies):
    """The job runs in no one's language: the reminder comes in the owner's Chinese, the digest in the colleague's
    Russian, and the record's own words as they were typed."""
    _, inbox = smtp
    nies["owner"].language, nies["colleague"].language = "zh_Hans_CN", "ru"
    db.session.commit()
    assert run_job(app).exit_code == 0
    # The subjects too, and the HTML says which language it is in.
    to = {m["To"].addresses[0].display_name: m for m in inbox.messages if m["Subject"].startswith("Предстоящие сроки")}
    russian = body(to[CYRILLIC], "plain")
    assert f"Здравствуйте, {CYRILLIC}!" in russian and "Hello" not in russian
    assert '<html lang="ru">' in body(to[CYRILLIC], "html")
    reminder = next(m for m in inbox.messages if m["Subject"].startswith("提醒："))
    assert reminder["Subject"] == "提醒：提案截止日期（7 天后）— Заявка в ГЭФ: сохранение степей"
    chinese = body(reminder, "html")
    assert f"{CHINESE}，您好：" in chinese and "Заявка в ГЭФ" in chinese and "Open the record" not in chinese
    assert '<html lang="zh-Hans">' in chinese


def test_running_the_job_again_sends_nothing_twice(app, smtp, nies):
    _, inbox = smtp
    assert run_job(app).exit_code == 0 and len(inbox.messages) == 3
    again = run_job(app)
    assert (
        again.exit_code == 0
        and "Queued 0 digest(s) and 0 reminder(s)" in again.output
        and "Nothing to send" in again.output
    )
    # Later the same week: no second digest; the 1-day reminder comes on its day, once.
    assert run_job(app, TODAY + timedelta(days=3)).exit_code == 0 and len(inbox.messages) == 3
    run_job(app, TODAY + timedelta(days=6))
    run_job(app, TODAY + timedelta(days=6))
    assert [m["Subject"] for m in inbox.messages[3:]] == [
        "Reminder: proposal deadline tomorrow — Заявка в ГЭФ: сохранение степей"
    ]


def test_a_moved_deadline_is_reminded_again_and_a_missed_run_never_sends_two_reminders_at_once(app, smtp, nies):
    _, inbox = smtp
    save_preferences(nies["colleague"], weekly_digest=False, reminder_days=[])
    save_preferences(nies["owner"], weekly_digest=False, reminder_days=[7, 1])
    db.session.commit()
    run_job(app, TODAY - timedelta(days=10))
    assert inbox.messages == []
    # The job did not run from 10 days before until the day before: one reminder, the 1-day one.
    run_job(app, TODAY + timedelta(days=6))
    assert [m["Subject"] for m in inbox.messages] == [
        "Reminder: proposal deadline tomorrow — Заявка в ГЭФ: сохранение степей"
    ]
    nies["proposal"].deadline_on = TODAY + timedelta(days=13)
    db.session.commit()
    run_job(app, TODAY + timedelta(days=6))
    assert inbox.messages[-1]["Subject"] == "Reminder: proposal deadline in 7 days — Заявка в ГЭФ: сохранение степей"
    assert len(inbox.messages) == 2


def test_no_digest_for_a_user_who_opted_out_nor_in_a_week_with_nothing_due(app, smtp, nies, make):
    _, inbox = smtp
    save_preferences(nies["colleague"], weekly_digest=False, reminder_days=[7, 1])
    idle = make.centre(code="TSCC-IDLE")
    make.user(Role.STAFF, [idle], name="Nothing due")
    db.session.commit()
    assert run_job(app).exit_code == 0
    recipients = {m["To"].addresses[0].display_name for m in inbox.messages}
    assert recipients == {CHINESE}


def test_smtp_down_keeps_every_message_says_so_and_the_next_run_sends_each_once(app, monkeypatch, nies):
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_SECURITY", "none")
    down = run_job(app)
    assert down.exit_code == 1
    assert (
        f"Stopped: the mail server 127.0.0.1:{port} cannot be reached" in down.output
        and "3 message(s) kept" in down.output
    )
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.sent_at.is_(None))) == 3

    with smtp_server(port) as (_, inbox):
        back = run_job(app)
        assert back.exit_code == 0 and "Sent 3 message(s)" in back.output
        assert run_job(app).exit_code == 0
        assert len(inbox.messages) == 3 and len({m["Message-ID"] for m in inbox.messages}) == 3


def test_a_refused_message_is_kept_with_the_servers_words_and_sent_once_when_accepted(app, smtp, nies):
    _, inbox = smtp
    inbox.refuse = "550 5.7.1 Mailbox unavailable"
    refused = run_job(app)
    assert refused.exit_code == 1 and "550 5.7.1 Mailbox unavailable" in refused.output
    kept = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
    assert len(kept) == 3 and all("550" in m.last_error and m.attempts == 1 for m in kept)
    message_ids = {m.message_id for m in kept}

    inbox.refuse = None
    assert run_job(app).exit_code == 0 and run_job(app).exit_code == 0
    assert len(inbox.messages) == 3 and {m["Message-ID"] for m in inbox.messages} == message_ids


def test_without_an_smtp_server_mail_is_written_to_the_instance_folder(app, monkeypatch, tmp_path, nies):
    monkeypatch.setitem(app.config, "MAIL_HOST", "")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    result = run_job(app)
    assert result.exit_code == 0 and f"to {tmp_path / 'mail'}" in result.output
    files = sorted(Path(tmp_path / "mail").glob("*.eml"))
    assert len(files) == 3 and not list(Path(tmp_path / "mail").glob("*.part"))
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["To"].addresses[0].display_name for m in messages} == {CHINESE, CYRILLIC}
    assert all(m.get_body(("html",)) is not None and m.get_body(("plain",)) is not None for m in messages)


def test_mail_is_never_sent_inside_a_web_request(app):
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="never inside a web request"):
        deliver()


def test_a_second_job_finds_a_claimed_message_taken(app, smtp, nies):
    """Two jobs at once (a slow run overlapping the next minute's): the one that claimed a message sends it."""
    from crm.core.mail import _claim
    from crm.work.services import queue_due

    _, inbox = smtp
    queue_due(TODAY)
    db.session.commit()
    first = db.session.scalar(sa.select(OutboxMessage.id).order_by(OutboxMessage.id))
    assert _claim(first) is True and _claim(first) is False
    assert run_job(app).exit_code == 0
    assert len(inbox.messages) == 2 and db.session.get(OutboxMessage, first).sent_at is None


def test_the_inbox_helper_refuses_when_told(app, smtp):
    """The loopback server itself: a check that the refusal the tests above rely on reaches smtplib."""
    import smtplib

    port, inbox = smtp
    inbox.refuse = "550 no"
    with smtplib.SMTP("127.0.0.1", port) as client, pytest.raises(smtplib.SMTPDataError):
        client.sendmail("a@example.org", ["b@example.org"], b"Subject: x\r\n\r\nbody")
    assert isinstance(inbox, Inbox) and inbox.messages == []


def test_mail_settings_come_from_the_environment_and_bad_ones_stop_the_app(tmp_path):
    from crm.config import ConfigError, load_config

    demo = load_config(str(tmp_path), {})
    assert demo["MAIL_HOST"] == "" and demo["MAIL_FOLDER"] == str(tmp_path / "mail")
    env = {"MAIL_HOST": "smtp.example.org", "MAIL_SECURITY": "ssl", "MAIL_USERNAME": "crm", "MAIL_PASSWORD": "pw"}
    smtp = load_config(
        str(tmp_path), env | {"MAIL_FROM": "Центр <crm@example.org>", "CRM_BASE_URL": "https://crm.example.org/"}
    )
    assert (smtp["MAIL_PORT"], smtp["MAIL_SECURITY"], smtp["BASE_URL"]) == (465, "ssl", "https://crm.example.org")
    assert load_config(str(tmp_path), {"MAIL_HOST": "x"})["MAIL_PORT"] == 587
    for bad, says in (
        ({"MAIL_SECURITY": "tls1"}, "MAIL_SECURITY"),
        ({"MAIL_PORT": "99999"}, "MAIL_PORT"),
        ({"MAIL_TIMEOUT": "soon"}, "MAIL_TIMEOUT"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
        ({"CRM_BASE_URL": "crm.example.org"}, "CRM_BASE_URL"),
    ):
        with pytest.raises(ConfigError, match=says):
            load_config(str(tmp_path), bad)


def test_the_job_logs_in_when_the_server_wants_it_and_says_so_when_the_login_is_wrong(app, monkeypatch, nies):
    from tests.mailserver import password_check

    port = free_port()
    settings = {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none", "MAIL_USERNAME": "crm"}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong")
    # AUTH offered without TLS, on loopback only (requiring it without TLS makes aiosmtpd warn, rightly).
    login = {"authenticator": password_check("crm", "s3cret"), "auth_require_tls": False}
    with smtp_server(port, **login) as (_, inbox):
        refused = run_job(app)
        assert refused.exit_code == 1 and "refused the login: 535" in refused.output
        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret")
        assert run_job(app).exit_code == 0 and len(inbox.messages) == 3


def test_sent_messages_are_forgotten_after_ninety_days_and_unsent_ones_never(app, smtp, nies):
    from crm.core.mail import KEEP_SENT
    from crm.core.models import utcnow

    assert run_job(app).exit_code == 0
    old, recent, _ = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    old.sent_at = utcnow() - KEEP_SENT - timedelta(days=1)
    recent.sent_at, recent.claimed_at = None, None
    db.session.commit()
    old_id, recent_id = old.id, recent.id
    assert run_job(app).exit_code == 0
    assert db.session.get(OutboxMessage, old_id) is None and db.session.get(OutboxMessage, recent_id).sent_at


def test_done_when_the_nies_staff_member_gets_the_digest_and_a_reminder_of_the_gbff_proposal(app, smtp, seeded):
    """The issue's user story on the demo data: the GBFF call and the NIES proposal to it, through loopback SMTP."""
    from crm.auth.models import User
    from crm.proposals.models import FundingMechanism, Proposal
    from crm.proposals.services import add_deadline

    _, inbox = smtp
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.nies@demo.tscc.example"))
    gbff = db.session.scalar(
        sa.select(FundingMechanism).where(FundingMechanism.name == "Global Biodiversity Framework Fund")
    )
    add_deadline(gbff, {"label": "Project concepts", "due_on": TODAY + timedelta(days=10)})
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.title.contains("GBFF")))
    proposal.owner_id, proposal.deadline_on = staff.id, TODAY + timedelta(days=1)
    db.session.commit()

    assert run_job(app).exit_code == 0
    mine = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == staff.email]
    subjects = sorted(m["Subject"] for m in mine)
    assert subjects == [
        "Reminder: proposal deadline tomorrow — Proposal to the Global Biodiversity Framework Fund (GBFF)",
        # Overdue: the seeded MoA, with no step since April 2026, is a draft to chase.
        "What is due: 1 overdue, 1 this week, 1 in the next 30 days",
    ]
    digest = next(m for m in mine if m["Subject"].startswith("What is due"))
    text = body(digest, "plain")
    assert "Global Biodiversity Framework Fund — GBFF: Project concepts" in text and "17 December 2026" in text
    assert text.index("Yours") < text.index("Proposal to the Global Biodiversity Framework Fund (GBFF)")
    assert "Agreement to chase: Memorandum of Agreement between the CBD Secretariat and TSCC NIES" in text
