"""Dates known only to the month or the year ("March 2026", "2025"), stored and shown as such.

A partial date is two columns: the first day of the period it names (``<name>_on``, a DATE, so it
sorts and filters in SQL) and its precision (``<name>_precision``: 'day', 'month' or 'year').
Models map the pair as one attribute with ``partial_date_column``; forms use ``PartialDateField``.
Nothing is invented: "March 2026" is never shown as 1 March 2026.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import composite, mapped_column
from wtforms import StringField

PRECISIONS = ("day", "month", "year")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})


@dataclass(frozen=True)
class PartialDate:
    start: date
    precision: str = "day"

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"Unknown date precision {self.precision!r}.")

    def __str__(self) -> str:
        if self.precision == "year":
            return str(self.start.year)
        if self.precision == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        return f"{self.start.day} {calendar.month_name[self.start.month]} {self.start.year}"

    @property
    def iso(self) -> str:
        """What a form shows for editing: 2026, 2026-03 or 2026-03-17."""
        if self.precision == "year":
            return f"{self.start.year:04d}"
        if self.precision == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    @property
    def end(self) -> date:
        """The last day of the period the date names."""
        if self.precision == "year":
            return date(self.start.year, 12, 31)
        if self.precision == "month":
            return date(self.start.year, self.start.month, calendar.monthrange(self.start.year, self.start.month)[1])
        return self.start

    def surely_before(self, other: "PartialDate") -> bool:
        """True only when every day this date may mean lies before every day ``other`` may mean."""
        return self.end < other.start

    def __composite_values__(self):
        return self.start, self.precision


def _composite_factory(start, precision):
    return None if start is None else PartialDate(start, precision or "day")


def partial_date_column(name: str, nullable: bool = True):
    """A composite attribute over ``<name>_on`` and ``<name>_precision``."""
    return composite(
        _composite_factory,
        mapped_column(f"{name}_on", sa.Date, nullable=nullable, index=True),
        mapped_column(f"{name}_precision", sa.String(5), nullable=nullable),
    )


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DAY_MONTH_YEAR = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


def month_words(year: int, month: int) -> str:
    """A month as the reader's language names it: "February 2026", "февраль 2026 г.", "2026年2月"."""
    from crm.core.i18n import format_locale

    return format_skeleton("yMMMM", date(year, month, 1), locale=format_locale())


def _build(year: int, month: int | None, day: int | None) -> PartialDate:
    if not 1900 <= year <= 2200:
        raise ValueError(_("%(year)s is not a plausible year.", year=year))
    if month is None:
        return PartialDate(date(year, 1, 1), "year")
    if not 1 <= month <= 12:
        raise ValueError(_("There is no month %(month)s.", month=month))
    if day is None:
        return PartialDate(date(year, month, 1), "month")
    try:
        return PartialDate(date(year, month, day), "day")
    except ValueError:
        raise ValueError(_("%(month)s has no day %(day)s.", month=month_words(year, month), day=day)) from None


def _month(name: str) -> int:
    try:
        return _MONTHS[name.lower()]
    except KeyError:
        raise ValueError(_("%(name)s is not a month name.", name=repr(name))) from None


def parse_partial_date(text: str) -> PartialDate:
    """'2026', '2026-03', 'March 2026', 'Mar 2026', '2026-03-17', '17 March 2026', 'March 17, 2026'."""
    text = " ".join((text or "").split())
    if not text:
        raise ValueError(_("Enter a date."))
    if match := _ISO.match(text):
        year, month, day = match.groups()
        return _build(int(year), int(month) if month else None, int(day) if day else None)
    if match := _DAY_MONTH_YEAR.match(text):
        day, month, year = match.groups()
        return _build(int(year), _month(month), int(day) if day else None)
    if match := _MONTH_DAY_YEAR.match(text):
        month, day, year = match.groups()
        return _build(int(year), _month(month), int(day))
    raise ValueError(_("%(text)s is not a date: write 2026-03-17, 2026-03 or March 2026, or 2026.", text=repr(text)))


def format_partial_date(value: PartialDate | None) -> str:
    return str(value) if value else ""


class PartialDateField(StringField):
    """A text field whose data is a PartialDate (or None when left empty and optional)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", _l("A day (2026-03-17), a month (2026-03 or March 2026) or a year (2026)."))
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.iso if isinstance(self.data, PartialDate) else ""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        if not self.raw_text:
            self.data = None
            return
        try:
            self.data = parse_partial_date(self.raw_text)
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from None
