"""The one mail path: every message (digest, reminder, password reset) is queued in the outbox and sent by the job
``flask --app wsgi mail send-due``, never inside a web request.

A message is queued under a key that names what it is ("reminder:7:proposal-deadline-12:2026-12-08:7"): queueing
the same key twice queues it once, so the job can run every minute and still send each message once. Delivery
claims a message before sending it and marks it sent once the server took it; an SMTP failure releases the claim
and records the error, so the next run tries again. Without ``MAIL_HOST`` (the demo) messages are written as
``.eml`` files to ``MAIL_FOLDER`` (the instance folder's ``mail/``) instead of sent.
"""

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Mapped, mapped_column

from crm.core.i18n import language_of
from crm.core.models import utcnow
from crm.core.urls import public_host, public_url
from crm.extensions import db

# A claim older than this was left by a job that died while sending: the message is tried again.
CLAIM_EXPIRES = timedelta(minutes=15)
# Sent messages are kept this long (what went to whom, and the keys that stop a second sending), then forgotten:
# no key older than this is ever queued again (reminders are for the next 30 days, digests for this week).
KEEP_SENT = timedelta(days=90)


class OutboxMessage(db.Model):
    """A message to send, kept until the mail server accepted it (and after, as the record that it was sent)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    # Fixed when queued, so that a retried message is the same message to every server on its way.
    message_id: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


def is_queued(key: str) -> bool:
    return db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None


def queued_keys(keys) -> set[str]:
    """Which of ``keys`` are queued already (sent or not), in one query."""
    keys = sorted(set(keys))
    if not keys:
        return set()
    return set(db.session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))


def enqueue(key: str, user, template: str, subject: str, **context) -> OutboxMessage | None:
    """Queue the message ``templates/mail/<template>.txt`` and ``.html`` to ``user``, unless ``key`` is queued
    already; flushes, and the caller's transaction commits it.

    It is written in the recipient's language, not in that of the request (or job) sending it: a ``subject``
    marked with ``lazy_gettext`` is translated for them too."""
    if is_queued(key):
        return None
    with force_locale(language_of(user)):
        subject = str(subject)
        context |= {"user": user, "subject": subject, "link": public_url}
        text_body = render_template(f"mail/{template}.txt", **context)
        html_body = render_template(f"mail/{template}.html", **context)
    message = OutboxMessage(
        key=key,
        user_id=user.id,
        to_address=user.email,
        to_name=user.name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        message_id=make_msgid(domain=public_host()),
    )
    # Two jobs queueing the same key at once: the unique key lets one win, and the other carries on.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except sa.exc.IntegrityError:
        return None
    return message


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    """The message as sent: plain text with an HTML alternative, UTF-8, names in any script."""
    email = EmailMessage()
    name, address = parseaddr(sender)
    email["From"] = Address(display_name=name, addr_spec=address)
    email["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    return email


class ServerDown(Exception):
    """The mail server could not be reached, or dropped the connection: nothing more is tried this run."""


class FileTransport:
    """The demo's mail server: each message becomes a file anyone can open with a mail program."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.where = str(self.folder)

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, email: EmailMessage, message: OutboxMessage) -> None:
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        target = self.folder / f"{stamp}-{message.id}-{message.key.split(':')[0]}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(email.as_bytes())
        partial.replace(target)


class SmtpTransport:
    """One connection for a run; a refused message is that message's failure, a lost server the run's."""

    def __init__(self, config):
        self.config = config
        self.where = f"{config['MAIL_HOST']}:{config['MAIL_PORT']}"
        self.smtp = None

    def __enter__(self):
        host, port, timeout = self.config["MAIL_HOST"], self.config["MAIL_PORT"], self.config["MAIL_TIMEOUT"]
        security = self.config["MAIL_SECURITY"]
        try:
            if security == "ssl":
                self.smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(host, port, timeout=timeout)
                if security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.config["MAIL_USERNAME"]:
                self.smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as error:
            # A connection refused its TLS or login is closed here: __exit__ never runs for a failed __enter__.
            if self.smtp is not None:
                self.smtp.close()
            what = "refused the login" if isinstance(error, smtplib.SMTPAuthenticationError) else "cannot be reached"
            raise ServerDown(f"the mail server {self.where} {what}: {describe(error)}") from error
        return self

    def __exit__(self, *exc):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
        return False

    def send(self, email: EmailMessage, message: OutboxMessage) -> None:
        try:
            self.smtp.send_message(email)
        except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as error:
            raise ServerDown(f"the mail server {self.where} went away: {describe(error)}") from error


def _said(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def describe(error: Exception) -> str:
    """An SMTP error as the server said it ("550 mailbox unavailable"), else the error's own words."""
    if isinstance(error, smtplib.SMTPResponseException):
        return _said(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(_said(code, text) for code, text in error.recipients.values())
    return str(error) or type(error).__name__


def transport():
    config = current_app.config
    return SmtpTransport(config) if config["MAIL_HOST"] else FileTransport(config["MAIL_FOLDER"])


@dataclass
class Delivery:
    """What a run did: messages sent, and each one kept for the next run with the reason."""

    where: str = ""
    sent: list[OutboxMessage] = field(default_factory=list)
    kept: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    stopped: str = ""  # why the run stopped early (the server is down), if it did

    @property
    def failed(self) -> bool:
        return bool(self.kept or self.stopped)


def _claim(message_id: int) -> bool:
    """Take the message for this run (committed at once), unless another run has it or it was sent."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            sa.or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_EXPIRES),
        )
        .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        # Not compared in Python: SQLite hands timestamps back without their zone.
        .execution_options(synchronize_session="fetch")
    ).rowcount
    db.session.commit()
    return claimed == 1


def _release(message: OutboxMessage, error: str) -> None:
    message.claimed_at = None
    message.last_error = error
    db.session.commit()


def deliver(limit: int = 500) -> Delivery:
    """Send what the outbox holds, oldest first; commits after every message, so a crash loses no record of what
    went out. Refuses to run inside a web request: a slow mail server must never hold a page."""
    if has_request_context():
        raise RuntimeError("Mail is sent by `flask mail send-due`, never inside a web request.")
    pending = db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    db.session.commit()
    delivery = Delivery()
    if not pending:
        return delivery
    sender = current_app.config["MAIL_FROM"]
    try:
        with transport() as server:
            delivery.where = server.where
            for message_id in pending:
                if not _claim(message_id):
                    continue
                message = db.session.get(OutboxMessage, message_id)
                try:
                    server.send(build(message, sender), message)
                except ServerDown:
                    _release(message, "not sent: the mail server went away")
                    raise
                except (smtplib.SMTPException, OSError) as error:
                    reason = describe(error)
                    _release(message, reason)
                    delivery.kept.append((message, reason))
                else:
                    message.sent_at = utcnow()
                    message.last_error = ""
                    db.session.commit()
                    delivery.sent.append(message)
    except ServerDown as error:
        delivery.stopped = str(error)
    return delivery


def forget_sent() -> int:
    """Delete messages sent more than KEEP_SENT ago; returns how many."""
    before = utcnow() - KEEP_SENT
    stmt = sa.delete(OutboxMessage).where(OutboxMessage.sent_at < before)
    return db.session.execute(stmt.execution_options(synchronize_session="fetch")).rowcount


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.sent_at.is_(None)))
