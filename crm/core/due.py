"""What is due: the one shape in which every domain hands its dated items to "My work", the calendar feed, the
digest and the reminders (``crm.work``).

Each domain decides which of its records are due and when, in its own ``queries.py`` (a proposal's deadline,
a partnership's next step, an agreement's expiry...); none of them knows about pages, feeds or mail.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from crm.core.partial_dates import PartialDate


@dataclass(frozen=True)
class DueItem:
    """One dated thing someone has to act on, with the record it belongs to."""

    # Stable for the record and the kind of date ("proposal-deadline-12"): the calendar event's UID and the
    # reminder's key, so that a moved date moves the event instead of adding one.
    uid: str
    kind: str  # what the date is, in words: "Proposal deadline"
    title: str
    # The date as it is known ("March 2026" for an expiry known only to the month); ``due_on`` is its first day.
    due: PartialDate
    endpoint: str  # the record's page, for url_for
    record_args: tuple[tuple[str, int | str], ...]  # its url_for arguments
    centre_id: int | None = None  # None: network-wide (a funder's call)
    centre_code: str = ""
    owner_id: int | None = None
    owner_name: str = ""
    detail: str = ""
    # A date that comes back every year (a funder's yearly call): its first date; ``due`` is the next one.
    yearly_since: date | None = None
    # From the record, so that a calendar sees the event changed: LAST-MODIFIED and SEQUENCE.
    changed_at: datetime | None = None
    revision: int = 0

    @property
    def due_on(self) -> date:
        return self.due.start

    @property
    def args(self) -> dict:
        return dict(self.record_args)

    @classmethod
    def of(cls, record, **fields) -> "DueItem":
        """An item of a centre's record: with its centre, its owner if it has one, its version and last change."""
        owner = getattr(record, "owner", None)
        return cls(
            centre_id=record.centre_id,
            centre_code=record.centre.code,
            owner_id=owner.id if owner else None,
            owner_name=owner.name if owner else "",
            changed_at=record.updated_at,
            revision=record.version,
            **fields,
        )

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days


def dated_until(stmt: sa.Select, model, day, centre_ids, until: date | None) -> sa.Select:
    """``stmt`` (of a centre's ``model``) kept to the centres ``centre_ids`` (None: all) and to ``day`` up to
    ``until`` (None: any), soonest first."""
    if until is not None:
        stmt = stmt.where(day <= until)
    if centre_ids is not None:
        stmt = stmt.where(model.centre_id.in_(sorted(centre_ids)))
    return stmt.order_by(day, model.id)


def due_in(days_left: int) -> str:
    """How far off a date is, in words: "today", "tomorrow", "in 5 days", "1 day late"."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    if days_left == 0:
        return _("today")
    if days_left == 1:
        return _("tomorrow")
    if days_left > 1:
        return ngettext("in %(num)d day", "in %(num)d days", days_left)
    return ngettext("%(num)d day late", "%(num)d days late", -days_left)
