"""Calendar feed tokens, mail preferences, and queueing what is due into the outbox. Flush, never commit."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from crm.auth.models import User
from crm.core.due import DueItem, due_in
from crm.core.errors import RuleError
from crm.core.i18n import language_of
from crm.core.mail import enqueue, queued_keys
from crm.core.models import utcnow
from crm.core.scoping import readable_centre_ids
from crm.extensions import db
from crm.work.models import DEFAULT_REMINDER_DAYS, REMINDER_CHOICES, CalendarFeed, MailPreference, token_hash
from crm.work.queries import MyWork, due_items, my_work, visible_to


class WorkError(RuleError):
    """A settings rule was broken; the message says which, for the user."""


# Calendar feeds -------------------------------------------------------------------------------------


def issue_feed(user: User) -> str:
    """A new secret feed address for ``user``; any earlier one stops working. Returns the token, shown once."""
    token = CalendarFeed.new_token()
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user.id, token_hash=token_hash(token)))
    else:
        feed.token_hash = token_hash(token)
        feed.created_at = utcnow()
    db.session.flush()
    return token


def revoke_feed(user: User) -> None:
    db.session.execute(sa.delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.flush()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def feed_owner(token: str) -> User | None:
    """The active user whose feed ``token`` opens, or None (a wrong, revoked or disabled one alike)."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == token_hash(token))
    )
    return user if user is not None and user.active else None


# Mail preferences -----------------------------------------------------------------------------------


def preferences(user: User) -> MailPreference:
    """The user's choices, or the defaults (not added to the session) when they never chose."""
    return db.session.get(MailPreference, user.id) or MailPreference(
        user_id=user.id, weekly_digest=True, reminder_days=list(DEFAULT_REMINDER_DAYS)
    )


def save_preferences(user: User, *, weekly_digest: bool, reminder_days) -> MailPreference:
    days = sorted({int(day) for day in reminder_days}, reverse=True)
    if any(day not in REMINDER_CHOICES for day in days):
        raise WorkError(_("Choose among the days offered."), "reminder_days")
    preference = db.session.get(MailPreference, user.id)
    if preference is None:
        preference = MailPreference(user_id=user.id)
        db.session.add(preference)
    preference.weekly_digest = weekly_digest
    preference.reminder_days = days
    db.session.flush()
    return preference


# Queueing what is due -------------------------------------------------------------------------------


def digest_key(user: User, today: date) -> str:
    year, week, _weekday = today.isocalendar()
    return f"digest:{user.id}:{year}-W{week:02d}"


def reminder_threshold(days_left: int, reminder_days) -> int | None:
    """The reminder an item this many days ahead is due for: the nearest chosen day it has reached. A run missed
    on the 7th day before sends the 7-day reminder late, never both the 7-day and the 1-day one at once."""
    reached = [day for day in reminder_days if 0 <= days_left <= day]
    return min(reached) if reached else None


def reminder_key(user: User, item: DueItem, threshold: int) -> str:
    # The date is part of the key: a moved deadline is a new deadline to be reminded of.
    return f"reminder:{user.id}:{item.uid}:{item.due_on.isoformat()}:{threshold}"


@dataclass
class Queued:
    digests: int = 0
    reminders: int = 0


def _digest_subject(work: MyWork) -> str:
    """ "What is due: 1 overdue, 2 this week", in the language of the locale in force (the recipient's)."""
    counts = {bucket: work.count(bucket) for bucket in ("overdue", "week", "month")}
    parts = [
        ngettext("%(num)d overdue", "%(num)d overdue", counts["overdue"]) if counts["overdue"] else "",
        ngettext("%(num)d this week", "%(num)d this week", counts["week"]) if counts["week"] else "",
        ngettext("%(num)d in the next 30 days", "%(num)d in the next 30 days", counts["month"])
        if counts["month"]
        else "",
    ]
    listed = _(", ").join(part for part in parts if part)
    if not listed:
        return _("What is due: agreements coming up")
    return _("What is due: %(counts)s", counts=listed)


def _reminder_subject(item: DueItem, days_left: int) -> str:
    """ "Reminder: proposal deadline in 7 days — GEF proposal", in the language of the locale in force."""
    return _("Reminder: %(kind)s %(due)s — %(title)s", kind=item.kind.lower(), due=due_in(days_left), title=item.title)[
        :300
    ]


def queue_due(today: date) -> Queued:
    """Queue this week's digest for every active user who wants it and has anything due, and each reminder due
    today for the deadlines users own. Reads every domain's items once, whatever the number of users; a key
    already queued (by an earlier run) is skipped, so running it any number of times a day queues each once."""
    items = due_items(None, today)
    users = db.session.scalars(sa.select(User).where(User.active).order_by(User.id)).all()
    prefs = {p.user_id: p for p in db.session.scalars(sa.select(MailPreference))}
    wanted = []  # (key, user, template, subject, context)
    for user in users:
        pref = prefs.get(user.id) or preferences(user)
        visible = visible_to(items, readable_centre_ids(user))
        work = my_work(visible, user.id, today)
        # Subjects in the recipient's language, as ``enqueue`` writes the bodies.
        with force_locale(language_of(user)):
            if pref.weekly_digest and work.total:
                context = {"work": work, "today": today}
                wanted.append((digest_key(user, today), user, "digest", _digest_subject(work), context))
            for item in visible:
                days_left = item.days_left(today)
                threshold = reminder_threshold(days_left, pref.reminder_days) if item.owner_id == user.id else None
                if threshold is not None:
                    context = {"item": item, "days_left": days_left, "today": today}
                    subject = _reminder_subject(item, days_left)
                    wanted.append((reminder_key(user, item, threshold), user, "reminder", subject, context))
    done = queued_keys(key for key, *_rest in wanted)
    queued = Queued()
    for key, user, template, subject, context in wanted:
        if key not in done and enqueue(key, user, template, subject, **context):
            if template == "digest":
                queued.digests += 1
            else:
                queued.reminders += 1
    return queued
