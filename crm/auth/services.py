"""Accounts: creation, login with throttling, password changes. Services flush; the request commits."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from crm.auth.models import LoginAttempt, Role, User
from crm.centres.models import Centre
from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db

MIN_PASSWORD_LENGTH = 12
THROTTLE_WINDOW = timedelta(minutes=1)


class AccountError(RuleError):
    """A rule about accounts was broken; the message says which, for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", "password")
    if email and password.lower() == email.lower():
        raise AccountError("The password must not be the e-mail address.", "password")


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, role: Role | str, password: str, centre_codes=()) -> User:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(f"An account with the e-mail {email} already exists.", "email")
    role = Role(role)
    check_password_strength(password, email)
    centres = centres_by_code(centre_codes)
    if role == Role.STAFF and not centres:
        raise AccountError("Centre staff must belong to at least one centre.", "centres")
    user = User(email=email, name=name.strip() or email, role=role, active=True, centres=centres)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def centres_by_code(codes) -> list[Centre]:
    codes = [code.strip().upper() for code in codes if code and code.strip()]
    if not codes:
        return []
    found = db.session.scalars(sa.select(Centre).where(Centre.code.in_(codes))).all()
    missing = sorted(set(codes) - {c.code for c in found})
    if missing:
        raise AccountError(f"No centre with the code {', '.join(missing)}.", "centres")
    return list(found)


def update_user(user: User, *, name: str, role: Role | str, active: bool, centres: list[Centre]) -> None:
    role = Role(role)
    if role == Role.STAFF and not centres:
        raise AccountError("Centre staff must belong to at least one centre.", "centres")
    user.name = name.strip() or user.email
    user.role = role
    user.centres = centres
    if user.active and not active:
        # A disabled user is refused at the next request, whatever cookie they hold.
        user.rotate_session()
    user.active = active
    db.session.flush()


# Throttling -----------------------------------------------------------------------------------------


def _throttle_keys(email: str, address: str) -> list[str]:
    return [f"account:{normalise_email(email)}", f"address:{address}"]


def is_throttled(email: str, address: str) -> bool:
    since = utcnow() - THROTTLE_WINDOW
    limit = current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"]
    counts = db.session.execute(
        sa.select(LoginAttempt.key, sa.func.count())
        .where(LoginAttempt.key.in_(_throttle_keys(email, address)), LoginAttempt.at >= since)
        .group_by(LoginAttempt.key)
    ).all()
    return any(count >= limit for _, count in counts)


def record_failure(email: str, address: str) -> None:
    now = utcnow()
    db.session.add_all(LoginAttempt(key=key, at=now) for key in _throttle_keys(email, address))
    # Old failures are of no use to the count; keep the table small.
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(hours=1)))
    db.session.flush()


def authenticate(email: str, password: str, address: str) -> User:
    """The user behind these credentials, or AccountError. Failures are counted even when throttled."""
    if is_throttled(email, address):
        raise AccountError("Too many failed attempts. Wait a minute and try again.")
    user = find_user(email)
    if user is None or not user.check_password(password) or not user.active:
        record_failure(email, address)
        raise AccountError("Wrong e-mail or password, or the account is disabled.")
    user.rotate_session()
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError("The current password is not right.", "current_password")
    check_password_strength(new, user.email)
    user.set_password(new)
    db.session.flush()


def update_profile(user: User, *, name: str, locale: str) -> None:
    user.name = name.strip() or user.email
    user.locale = locale
    db.session.flush()


def log_out(user: User) -> None:
    user.rotate_session()
    db.session.flush()
