"""The dashboards' filters as they travel in the URL: a period (a reporting period or any dates), a currency, rates.

Bad input never breaks the page: the form carries the view it was drawn from in
``was_*`` fields, and when the new input is refused the page shows that previous
view again with a message saying what was wrong.
"""

from dataclasses import dataclass, replace
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from crm.centres.models import ReportingPeriod
from crm.core.periods import SpanError, period_spans, read_date
from crm.core.templating import format_day
from crm.money.currencies import normalise_currency
from crm.money.totals import RATE_CHOICES

FIELDS = ("period", "from", "to", "currency", "rates")
# The period value that asks for every date, where no period argument means the default period.
ALL_DATES = "all"


class FilterError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    currency: str
    starts_on: date | None = None
    ends_on: date | None = None
    # The reporting period's label when the dates came from one.
    period: str = ""
    rates: str = "month"

    def args(self) -> dict[str, str]:
        """The query arguments that reproduce this view (links, the form's ``was_*`` fields)."""
        args = {"currency": self.currency, "rates": self.rates}
        if self.period:
            args["period"] = self.period
        elif not self.is_dated:
            args["period"] = ALL_DATES
        else:
            if self.starts_on:
                args["from"] = self.starts_on.isoformat()
            if self.ends_on:
                args["to"] = self.ends_on.isoformat()
        return args

    @property
    def is_dated(self) -> bool:
        return self.starts_on is not None or self.ends_on is not None

    @property
    def span(self) -> str:
        """The dates in words: "1 January 2025 – 30 April 2026", "from 1 March 2026", "all dates"."""
        if self.starts_on and self.ends_on:
            text = _("%(start)s – %(end)s", start=format_day(self.starts_on), end=format_day(self.ends_on))
        elif self.starts_on:
            text = _("from %(day)s", day=format_day(self.starts_on))
        elif self.ends_on:
            text = _("until %(day)s", day=format_day(self.ends_on))
        else:
            return _("all dates")
        return _("%(period)s (%(dates)s)", period=self.period, dates=text) if self.period else text


@dataclass(frozen=True)
class FilterResult:
    filters: Filters
    errors: list[FilterError]
    # What the user typed, shown back in the form so that they can correct it.
    submitted: dict[str, str]

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def shown(self, field: str) -> str:
        """What the form shows in ``field``: the user's refused input, else the view's own value."""
        if self.refused and self.submitted.get(field):
            return self.submitted[field]
        args = self.filters.args()
        if field in ("from", "to") and self.filters.period:
            return ""
        return args.get(field, "")

    def error_for(self, field: str) -> str:
        return " ".join(e.message for e in self.errors if e.field == field)


def _date(args: MultiDict, name: str, label: str) -> date | None:
    try:
        return read_date(args.get(name), name, label)
    except SpanError as error:
        raise FilterError(name, error.message) from None


def latest_period(periods: list[ReportingPeriod], today: date) -> str:
    """The label of the latest period that has begun: what a dashboard shows unless asked otherwise."""
    begun = [p for p in periods if p.starts_on <= today]
    return max(begun, key=lambda p: (p.starts_on, p.ends_on)).label if begun else ""


def parse(
    args: MultiDict, *, default_currency: str, periods: list[ReportingPeriod], default_period: str = ""
) -> Filters:
    """Filters from query arguments, or FilterErrors (an ExceptionGroup) naming every bad field.

    Without any date argument the view is ``default_period``; ``period=all`` asks for every date.
    """
    errors: list[FilterError] = []
    filters = Filters(currency=default_currency)

    raw_currency = (args.get("currency") or "").strip()
    if raw_currency:
        try:
            filters = replace(filters, currency=normalise_currency(raw_currency))
        except ValueError as error:
            errors.append(FilterError("currency", str(error)))

    rates = (args.get("rates") or "").strip()
    if rates:
        if rates in RATE_CHOICES:
            filters = replace(filters, rates=rates)
        else:
            errors.append(
                FilterError(
                    "rates", _("“%(rates)s” is not a way of converting: choose one from the list.", rates=rates)
                )
            )

    try:
        starts_on, ends_on = _date(args, "from", "start"), None
    except FilterError as error:
        errors.append(error)
        starts_on = None
    try:
        ends_on = _date(args, "to", "end")
    except FilterError as error:
        errors.append(error)

    label = (args.get("period") or "").strip()
    if not label and not (args.get("from") or args.get("to")):
        label = default_period
    spans = period_spans(periods)
    if label == ALL_DATES:
        label = ""
    if label and not (starts_on or ends_on):
        if label in spans:
            starts_on, ends_on = spans[label].starts_on, spans[label].ends_on
            filters = replace(filters, period=label)
        else:
            known = ", ".join(sorted(spans)) or _("none recorded")
            errors.append(
                FilterError(
                    "period",
                    _(
                        "There is no reporting period “%(period)s” (periods: %(known)s).",
                        period=label[:60],
                        known=known,
                    ),
                )
            )
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(
            FilterError(
                "to",
                _(
                    "The period ends (%(ends)s) before it starts (%(starts)s): "
                    "swap the dates or pick a reporting period.",
                    ends=ends_on.isoformat(),
                    starts=starts_on.isoformat(),
                ),
            )
        )
    if errors:
        raise ExceptionGroup("bad filters", errors)
    return replace(filters, starts_on=starts_on, ends_on=ends_on)


def read_filters(
    args: MultiDict, *, default_currency: str, periods: list[ReportingPeriod], today: date
) -> FilterResult:
    """The filters asked for; when refused, the previous view (``was_*``) with the errors, or the defaults."""
    submitted = {name: (args.get(name) or "").strip() for name in FIELDS}
    options = {
        "default_currency": default_currency,
        "periods": periods,
        "default_period": latest_period(periods, today),
    }
    try:
        return FilterResult(parse(args, **options), [], submitted)
    except ExceptionGroup as group:
        errors = list(group.exceptions)
    previous = MultiDict({name: args.get(f"was_{name}", "") for name in FIELDS})
    try:
        filters = parse(previous, **options)
    except ExceptionGroup:
        filters = parse(MultiDict(), **options)
    return FilterResult(filters, errors, submitted)
