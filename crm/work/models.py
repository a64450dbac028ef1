"""Each user's calendar feed and what mail they want about what is due."""

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import Timestamped, utcnow
from crm.extensions import db

# Days before a deadline the user owns that a reminder goes out, offered in the settings; 0 is the day itself.
REMINDER_CHOICES = (30, 14, 7, 3, 1, 0)
DEFAULT_REMINDER_DAYS = [7, 1]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(db.Model):
    """A user's secret feed address. Only the token's hash is kept: the address is shown when it is made, and a
    lost one is replaced, not recovered. Deleting the row revokes it."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user = relationship("User")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class MailPreference(Timestamped, db.Model):
    """What a user receives by mail; a user without a row gets the defaults (the digest, reminders 7 and 1 days
    before)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    weekly_digest: Mapped[bool] = mapped_column(default=True)
    reminder_days: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_REMINDER_DAYS))
