"""Password reset by mail: a single-use, time-limited link, the same answer whether or not the address has an
account, and a throttle of its own. The mail is queued in the outbox and the mail job sends it (never the web
request). Services flush; the request commits."""

import hashlib
import secrets
from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from crm.auth.models import PasswordReset, User
from crm.auth.services import AccountError, check_password_strength, find_user, normalise_email
from crm.core.mail import enqueue
from crm.core.models import utcnow
from crm.core.urls import public_url
from crm.extensions import db

# Requests from one client address this often are refused (whatever the addresses asked for).
REQUESTS_PER_ADDRESS = 5
ADDRESS_WINDOW = timedelta(minutes=15)
# Links mailed to one account this often at most: more requests get the same answer and no mail.
LINKS_PER_ACCOUNT = 3
ACCOUNT_WINDOW = timedelta(hours=1)
# Requests are of no use to the throttle after this.
KEEP_REQUESTS = timedelta(days=1)


class ResetError(AccountError):
    """A reset link that cannot be used, or too many requests; the message says why, for the user."""

    def __init__(self, message: str, field: str | None = None, reason: str = ""):
        super().__init__(message, field)
        self.reason = reason


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _count(*conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset).where(*conditions))


def request_reset(email: str, address: str) -> None:
    """Queue a reset link for the active account that has ``email``, if any; the caller answers the same in every
    case. Raises ResetError when this client address asked too often."""
    now = utcnow()
    if (
        _count(PasswordReset.address == address, PasswordReset.requested_at >= now - ADDRESS_WINDOW)
        >= REQUESTS_PER_ADDRESS
    ):
        raise ResetError(_("Too many reset requests from here. Wait a few minutes and try again."), reason="throttled")
    key = normalise_email(email)
    recent = _count(
        PasswordReset.email_key == key,
        PasswordReset.token_hash.is_not(None),
        PasswordReset.requested_at >= now - ACCOUNT_WINDOW,
    )
    user = find_user(email)
    reset = PasswordReset(email_key=key, address=address, requested_at=now)
    db.session.add(reset)
    db.session.execute(sa.delete(PasswordReset).where(PasswordReset.requested_at < now - KEEP_REQUESTS))
    if user is None or not user.active or recent >= LINKS_PER_ACCOUNT:
        db.session.flush()
        return
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    reset.user_id, reset.token_hash, reset.expires_at = user.id, _hash(token), now + timedelta(minutes=minutes)
    db.session.flush()
    enqueue(
        f"password-reset:{reset.id}",
        user,
        "password_reset",
        "Reset your password",
        reset_url=public_url("auth.reset_password", token=token),
        minutes=minutes,
    )


def usable_reset(token: str) -> PasswordReset:
    """The reset the link ``token`` opens, or ResetError saying why it cannot be used (unknown, used, expired)."""
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _hash(token or "")))
    if reset is None or reset.user is None or not reset.user.active:
        raise ResetError(_("This reset link is not valid. Ask for a new one."), reason="unknown")
    if reset.used_at is not None:
        raise ResetError(_("This reset link was used already: each link works once. Ask for a new one."), reason="used")
    expires_at = reset.expires_at if reset.expires_at.tzinfo else reset.expires_at.replace(tzinfo=UTC)
    if expires_at <= utcnow():
        raise ResetError(_("This reset link has expired. Ask for a new one."), reason="expired")
    return reset


def reset_password(token: str, new_password: str) -> User:
    """Set the new password through a usable link; every link of the account dies, and so does every session."""
    reset = usable_reset(token)
    user = reset.user
    check_password_strength(new_password, user.email)
    user.set_password(new_password)  # rotates the session token: every signed-in copy of the account is out
    now = utcnow()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    db.session.flush()
    return user
