"""A user's deadlines as an iCalendar feed (RFC 5545), for Outlook, Google Calendar, Thunderbird...

Plain data in (``DueItem``s), bytes out: no database, no request. Every event is a whole day (deadlines have no
hour); its UID names the record and the kind of date, so that a moved date moves the event in the subscriber's
calendar instead of adding a second one, and SEQUENCE and LAST-MODIFIED follow the record's own version and
last change. A yearly call is one event repeating every year (29 February falls on the 28th in other years, as
the call calendar counts it).
"""

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vDuration, vRecur

from crm.core.due import DueItem
from crm.core.models import utcnow

PRODUCT = "-//TSCC network//Partnerships and resources CRM//EN"
# How often a client should fetch the feed again (clients may fetch less often: Google does so about daily).
REFRESH = timedelta(hours=6)


def _yearly(item: DueItem) -> vRecur:
    first = item.yearly_since
    if (first.month, first.day) == (2, 29):
        return vRecur(freq="YEARLY", bymonth=2, bymonthday=-1)
    return vRecur(freq="YEARLY")


def event(item: DueItem, url: str, host: str, stamp: datetime) -> Event:
    start = item.yearly_since or item.due_on
    ev = Event()
    ev.add("uid", f"{item.uid}@{host}")
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start)
    if start < date.max:
        ev.add("dtend", start + timedelta(days=1))
    else:  # 31 December 9999 has no next day to end on
        ev.add("duration", timedelta(days=1))
    ev.add("summary", f"{item.kind}: {item.title}")
    lines = [item.detail, f"Date: {item.due}" if item.due.precision != "day" else "", url]
    if item.centre_code:
        lines.insert(0, item.centre_code + (f" · {item.owner_name}" if item.owner_name else ""))
    # Details may be lazily translated labels (a status): made text before joining.
    ev.add("description", "\n".join(str(line) for line in lines if line))
    ev.add("url", url)
    ev.add("categories", [str(item.kind)])
    # A deadline is not a meeting: it does not make its day busy.
    ev.add("transp", "TRANSPARENT")
    ev.add("sequence", max(item.revision - 1, 0))
    if item.changed_at:
        ev.add("last-modified", item.changed_at)
    if item.yearly_since:
        ev.add("rrule", _yearly(item))
    return ev


def feed(name: str, items: list[DueItem], url_of, host: str) -> bytes:
    """The calendar of ``items``; ``url_of(item)`` is the record's public address."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"TSCC deadlines — {name}")
    calendar.add("x-wr-caldesc", "Deadlines, key dates and next steps from the TSCC partnerships and resources CRM.")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    stamp = utcnow()
    for item in sorted(items, key=lambda i: (i.due_on, i.uid)):
        calendar.add_component(event(item, url_of(item), host, stamp))
    return calendar.to_ical()
