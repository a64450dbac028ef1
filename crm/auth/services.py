"""Accounts: creation, login with throttling, password changes. Services flush; the request commits.

The login throttle stops attackers, not colleagues
--------------------------------------------------
Failed logins are counted in the database, so every worker on every host sees the same counts,
over THROTTLE_WINDOW and under these keys (limits from the configuration, LOGIN_FAILURES_*):

- ``pair:<account>|<address>`` (PER_PAIR, 5): one client guessing one account. The strict limit:
  past it that client is refused for that account, right password or not, until the window passes.
- ``account:<account>`` (PER_ACCOUNT, 30): one account guessed from many addresses.
- ``address:<address>`` (PER_ADDRESS, 100): one address trying many accounts. High, because a whole
  office behind one NAT shares an address.
- ``device:<id>`` (PER_PAIR): a browser where the account signed in before carries a signed device
  cookie (OWASP's "device cookies"). Its attempts are counted under that device alone and the account
  and address limits never apply to it: the owner signs in from their own browser whatever anyone
  else is trying, from their office or from the other side of the world.

So the right password is refused only after failures for that same account from that same client,
or (on a browser the account never signed in from) while the account or the address is under an
attack far beyond anyone's typing mistakes. The address is the client's as seen through the
configured proxies (TRUSTED_PROXIES, werkzeug's ProxyFix), never a proxy's.

An unknown e-mail costs the same password hash as a known one, so the time of the answer does not
tell whether an account exists.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from crm.auth.models import LoginAttempt, Role, User
from crm.centres.models import Centre
from crm.core.errors import RuleError
from crm.core.models import utcnow
from crm.extensions import db

KEY_LENGTH = LoginAttempt.__table__.c.key.type.length
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# zxcvbn's score from 0 (guessable in a few tries) to 4; 3 resists an offline attack on a slow hash.
MIN_PASSWORD_SCORE = 3
PASSWORD_RULE = _l(
    "At least %(count)s characters, and not a common, repeated or easily guessed password "
    "(a few unrelated words make a good one).",
    count=MIN_PASSWORD_LENGTH,
)
THROTTLE_WINDOW = timedelta(minutes=15)
DEVICE_COOKIE = "crm_device"
DEVICE_COOKIE_DAYS = 365
# The accounts one browser remembers having signed in (a shared office computer).
DEVICE_ACCOUNTS = 10


class AccountError(RuleError):
    """A rule about accounts was broken; the message says which, for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, email: str = "", name: str = "") -> None:
    """Refuse a password too short, too long, or one zxcvbn finds easy to guess (its common-password lists,
    repeats, sequences, keyboard patterns, dates, and the account's own e-mail and name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH), "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("Use at most %(count)s characters.", count=MAX_PASSWORD_LENGTH), "password")
    if email and password.lower() == email.lower():
        raise AccountError(_("The password must not be the e-mail address."), "password")
    # zxcvbn judges the first 72 characters (its own limit); a longer password is at least that strong.
    personal = [part for part in (email, email.partition("@")[0], *name.split()) if part]
    verdict = zxcvbn(password[:72], user_inputs=personal)
    if verdict["score"] < MIN_PASSWORD_SCORE:
        advice = " ".join(filter(None, [verdict["feedback"]["warning"], *verdict["feedback"]["suggestions"]]))
        raise AccountError(_("This password is too easy to guess. %(advice)s", advice=advice).strip(), "password")


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, role: Role | str, password: str, centre_codes=()) -> User:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(_("An account with the e-mail %(email)s already exists.", email=email), "email")
    role = Role(role)
    check_password_strength(password, email, name)
    centres = centres_by_code(centre_codes)
    if role == Role.STAFF and not centres:
        raise AccountError(_("Centre staff must belong to at least one centre."), "centres")
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
        raise AccountError(_("No centre with the code %(codes)s.", codes=", ".join(missing)), "centres")
    return list(found)


def update_user(user: User, *, name: str, role: Role | str, active: bool, centres: list[Centre]) -> None:
    role = Role(role)
    if role == Role.STAFF and not centres:
        raise AccountError(_("Centre staff must belong to at least one centre."), "centres")
    if user.is_admin and user.active and (role != Role.ADMIN or not active):
        ensure_another_admin(user)
    user.name = name.strip() or user.email
    user.role = role
    user.centres = centres
    if user.active and not active:
        # A disabled user is refused at the next request, whatever cookie they hold.
        user.rotate_session()
    user.active = active
    db.session.flush()


def ensure_another_admin(user: User) -> None:
    """Refuse to demote or disable ``user`` when no other active administrator would remain.

    The other administrators' rows are locked (PostgreSQL), so two admins demoting each other at the
    same moment cannot both succeed; SQLite serialises writers anyway.
    """
    others = db.session.scalars(
        sa.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id).with_for_update()
    ).all()
    if not others:
        raise AccountError(
            _("This is the only active administrator: make another account an administrator first."), "role"
        )


# Throttling (see the module's docstring) ------------------------------------------------------------


class Throttled(AccountError):
    """Too many failed attempts under one of the throttle's keys."""


@dataclass(frozen=True)
class Device:
    """What a browser's device cookie says: its own random id and the accounts that signed in on it."""

    id: str
    user_ids: tuple[int, ...]

    def knows(self, user: User | None) -> bool:
        return user is not None and user.id in self.user_ids


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def read_device(token: str | None) -> Device | None:
    """The device a cookie names, or None when it is missing, forged or expired."""
    if not token:
        return None
    try:
        data = _device_serializer().loads(token, max_age=DEVICE_COOKIE_DAYS * 86400)
        return Device(id=str(data["d"]), user_ids=tuple(int(n) for n in data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def device_token(device: Device | None, user: User) -> str:
    """A fresh device cookie that adds ``user`` to the accounts this browser signed in (the newest last)."""
    known = [n for n in (device.user_ids if device else ()) if n != user.id][-(DEVICE_ACCOUNTS - 1) :]
    device_id = device.id if device else secrets.token_urlsafe(16)
    return _device_serializer().dumps({"d": device_id, "u": [*known, user.id]})


def _limits() -> dict[str, int]:
    config = current_app.config
    return {
        "pair": config["LOGIN_FAILURES_PER_PAIR"],
        "device": config["LOGIN_FAILURES_PER_PAIR"],
        "account": config["LOGIN_FAILURES_PER_ACCOUNT"],
        "address": config["LOGIN_FAILURES_PER_ADDRESS"],
    }


def _throttle_keys(email: str, address: str, trusted_device: Device | None) -> list[str]:
    account = normalise_email(email)
    if trusted_device is not None:
        keys = [f"device:{trusted_device.id}|{account}"]
    else:
        keys = [f"pair:{account}|{address}", f"account:{account}", f"address:{address}"]
    # Cut to the column's length here, so that what is counted is what was recorded.
    return [key[:KEY_LENGTH] for key in keys]


def _over_limit(keys: list[str]) -> bool:
    limits = _limits()
    counts = db.session.execute(
        sa.select(LoginAttempt.key, sa.func.count())
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= utcnow() - THROTTLE_WINDOW)
        .group_by(LoginAttempt.key)
    ).all()
    return any(count >= limits[key.partition(":")[0]] for key, count in counts)


def record_failure(keys: list[str]) -> None:
    now = utcnow()
    db.session.add_all(LoginAttempt(key=key, at=now) for key in keys)
    # Old failures are of no use to the count; keep the table small.
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - 2 * THROTTLE_WINDOW))
    db.session.flush()


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password at the same cost whether or not the account exists."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def authenticate(email: str, password: str, address: str, device: Device | None = None) -> User:
    """The user behind these credentials, or AccountError (Throttled when a limit is reached)."""
    user = find_user(email)
    keys = _throttle_keys(email, address, device if device is not None and device.knows(user) else None)
    if _over_limit(keys):
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise Throttled(_("Too many failed attempts. Wait %(minutes)s minutes and try again.", minutes=minutes))
    if not _password_matches(user, password) or not user.active:
        record_failure(keys)
        raise AccountError(_("Wrong e-mail or password, or the account is disabled."))
    user.rotate_session()
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(_("The current password is not right."), "current_password")
    check_password_strength(new, user.email, user.name)
    user.set_password(new)
    db.session.flush()


def update_profile(user: User, *, name: str, language: str, locale: str) -> None:
    user.name = name.strip() or user.email
    user.language = language
    user.locale = locale
    db.session.flush()


def choose_language(user: User, language: str) -> None:
    user.language = language
    db.session.flush()


def log_out(user: User) -> None:
    user.rotate_session()
    db.session.flush()
