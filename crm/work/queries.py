"""What is due for a user, assembled from the domains that own the dates (each decides what is due and when:
proposals and funders' calls, partnerships' next steps, money expected, agreements' key dates and drafts to chase):
"My work", the weekly digest and the reminders read ``due_items``; the calendar feed reads it with every date
ahead. A fixed number of statements whatever the data size: one or two per domain."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from crm.agreements import queries as agreements
from crm.core.due import DueItem
from crm.funding import queries as funding
from crm.partners import queries as partners
from crm.proposals import queries as proposals

WEEK_DAYS = 7
MONTH_DAYS = 30


def due_items(centre_ids, today: date, *, calendar: bool = False) -> list[DueItem]:
    """Every domain's due items for ``centre_ids`` (None: all): the next MONTH_DAYS, what is overdue, and the
    agreements by their own attention rule (their notice is longer). ``calendar``: every date ahead instead, and
    only dates (no agreement to chase, which is a flag, not a date)."""
    until = None if calendar else today + timedelta(days=MONTH_DAYS)
    within = None if calendar else agreements.DUE_WITHIN_DAYS
    return [
        *proposals.due_items(centre_ids, today, until),
        *partners.due_items(centre_ids, until),
        *funding.due_items(centre_ids, until),
        *agreements.due_items(centre_ids, today, within_days=within, stalled_too=not calendar),
    ]


def visible_to(items: list[DueItem], centre_ids) -> list[DueItem]:
    """The items a user reading ``centre_ids`` (None: all) may see: network-wide ones and their centres'."""
    if centre_ids is None:
        return items
    return [item for item in items if item.centre_id is None or item.centre_id in centre_ids]


@dataclass
class Group:
    title: str
    items: list[DueItem]
    mine: bool = False


@dataclass
class Bucket:
    key: str
    title: str
    note: str
    groups: list[Group] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.items) for group in self.groups)


# (key, title, note, whether an item this many days ahead (negative: late) falls in it), in the page's order.
BUCKETS = (
    ("overdue", _l("Overdue"), _l("Past their date and not done."), lambda days: days < 0),
    (
        "week",
        _l("This week"),
        _l("Today and the next %(days)s days.", days=WEEK_DAYS - 1),
        lambda days: days < WEEK_DAYS,
    ),
    ("month", _l("Next %(days)s days", days=MONTH_DAYS), "", lambda days: days <= MONTH_DAYS),
    ("later", _l("Later"), _l("Agreements expiring or due for review, which need more notice."), lambda days: True),
)
CALLS = _l("Funders' calls")


@dataclass
class MyWork:
    today: date
    buckets: list[Bucket]

    @property
    def total(self) -> int:
        return sum(bucket.count for bucket in self.buckets)

    def count(self, key: str) -> int:
        return next(bucket.count for bucket in self.buckets if bucket.key == key)


def _groups(items: list[DueItem], user_id: int) -> list[Group]:
    """The user's own items first, then each centre's (by code), then the network-wide calls."""
    mine = [item for item in items if item.owner_id == user_id]
    by_centre: dict[str, list[DueItem]] = {}
    calls = []
    for item in items:
        if item.owner_id == user_id:
            continue
        if item.centre_id is None:
            calls.append(item)
        else:
            by_centre.setdefault(item.centre_code, []).append(item)
    groups = [Group("Yours", mine, mine=True)] if mine else []
    groups += [Group(code, by_centre[code]) for code in sorted(by_centre)]
    return groups + ([Group(str(CALLS), calls)] if calls else [])


def my_work(items: list[DueItem], user_id: int, today: date) -> MyWork:
    """``items`` (already those the user may see) by when they fall, each bucket grouped as ``_groups`` says."""
    buckets = [Bucket(key, str(title), str(note)) for key, title, note, _ in BUCKETS]
    placed: dict[str, list[DueItem]] = {key: [] for key, *_ in BUCKETS}
    for item in sorted(items, key=lambda i: (i.due_on, i.kind, i.title, i.uid)):
        days = item.days_left(today)
        key = next(key for key, _, _, falls in BUCKETS if falls(days))
        placed[key].append(item)
    for bucket in buckets:
        bucket.groups = _groups(placed[bucket.key], user_id)
    return MyWork(today, buckets)
