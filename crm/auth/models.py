import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.core.enums import LabelledEnum
from crm.core.models import Audited, Timestamped, Versioned, utcnow
from crm.core.types import value_enum
from crm.core.versions import unversioned
from crm.extensions import db


class Role(LabelledEnum):
    __labels__ = {"staff": _l("Centre staff"), "coordinator": _l("Coordinator (GCE)"), "admin": _l("Administrator")}

    STAFF = "staff"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


memberships = sa.Table(
    "memberships",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("centre_id", sa.ForeignKey("centres.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Audited, Versioned, Timestamped, db.Model):
    __tablename__ = "users"
    audit_exclude = ("password_hash", "session_token")
    audit_collections = ("centres",)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role, 20))
    active: Mapped[bool] = mapped_column(default=True)
    # The interface language (a key of crm.core.i18n.LANGUAGES); empty until chosen: the browser's. Users from
    # before languages keep English (the column's server default), what they saw.
    language: Mapped[str] = mapped_column(sa.String(20), default="", server_default="en")
    # How numbers, dates and money are shown to this user (a Babel locale identifier); empty: as the language.
    locale: Mapped[str] = mapped_column(sa.String(20), default="")
    # What the session cookie carries instead of the id: rotating it kills every copied cookie.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    password_changed_at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    centres = relationship("Centre", secondary=memberships, order_by="Centre.code", lazy="selectin")

    def audit_label(self) -> str:
        return self.email

    # Flask-Login
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    def rotate_session(self) -> None:
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()
        self.rotate_session()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Access rules, in one place: see crm.core.scoping.
    @property
    def reads_all_centres(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def member_centre_ids(self) -> set[int]:
        return {centre.id for centre in self.centres}

    def can_read(self, centre_id: int) -> bool:
        return self.reads_all_centres or centre_id in self.member_centre_ids

    def can_write(self, centre_id: int) -> bool:
        return self.role == Role.STAFF and centre_id in self.member_centre_ids


class LoginAttempt(db.Model):
    """A failed login, kept in the database so that every worker counts the same failures."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), index=True)
    at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)


class PasswordReset(db.Model):
    """A request for a password reset link, kept whether or not an account has the address, so that the throttle
    counts every request alike. Only the link's token hash is stored; the link works once, until it expires."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email_key: Mapped[str] = mapped_column(sa.String(254), index=True)
    address: Mapped[str] = mapped_column(sa.String(100), index=True)
    requested_at: Mapped[object] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[object | None] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[object | None] = mapped_column(sa.DateTime(timezone=True))

    user = relationship("User")


# Counted by the throttles, shown on no page.
unversioned(LoginAttempt.__table__, PasswordReset.__table__)
