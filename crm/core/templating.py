"""Filters and globals every template may use."""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.core.i18n import LANGUAGES, country_name, format_locale, html_lang, reading_locale, select_locale

# Navigation: shown when the endpoint exists and the user may use it. The brand links home; the home page
# lists the user's centres, so only admins, who edit centres, get a Centres entry.
NAV = (
    (_l("My work"), "work.mine", None),
    (_l("Dashboard"), "dashboards.centre", None),
    (_l("Network"), "dashboards.network", "reads_all_centres"),
    (_l("Partners"), "partners.partnerships", None),
    (_l("Organisations"), "partners.organisations", None),
    (_l("Agreements"), "agreements.index", None),
    (_l("Experts"), "experts.index", None),
    (_l("Proposals"), "proposals.index", None),
    (_l("Resources"), "funding.index", None),
    (_l("Reports"), "reports.index", None),
    (_l("Centres"), "centres.index", "is_admin"),
    (_l("Rates"), "money.rates", "reads_all_centres"),
    (_l("Users"), "auth.users", "is_admin"),
    (_l("Audit"), "audit.index", "is_admin"),
)


def nav_items():
    if not current_user.is_authenticated:
        return []
    endpoints = current_app.view_functions
    return [
        (label, endpoint)
        for label, endpoint, needs in NAV
        if endpoint in endpoints and (needs is None or getattr(current_user, needs))
    ]


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (filters, sorting, pages)."""
    args = request.args.to_dict()
    args.update({key: value for key, value in changes.items() if value is not None})
    for key in [key for key, value in changes.items() if value is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# A day as English pages have always written it ("15 December 2026"); other locales take Babel's long form.
DAY_PATTERNS = {"en": "d MMMM y"}


def format_day(value: date | None) -> str:
    return _day(value, format_locale()) if value else ""


@lru_cache(maxsize=4096)
def _day(value: date, locale_id: str) -> str:
    """A day as the locale writes it: a dashboard names the same few rate dates in every figure's citation."""
    return format_date(value, DAY_PATTERNS.get(locale_id.split("_")[0], "long"), locale=locale_id)


def format_quarter(year: int, number: int) -> str:
    """A quarter: "2026 Q2" as English pages have always written it; other locales as CLDR writes one
    ("2-й кв. 2026 г.", "2026年第2季度")."""
    locale_id = format_locale()
    if locale_id.split("_")[0] == "en":
        return f"{year} Q{number}"
    return format_skeleton("yQQQ", date(year, 3 * number - 2, 1), locale=locale_id)


def format_timestamp(value: datetime | None, seconds: bool = False) -> str:
    """When something was recorded, in UTC as stored: "2026-12-01 14:03 UTC"."""
    return value.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + " UTC" if value else ""


def listed(items) -> str:
    """Names side by side as the reader's language lists them: "Cambodia, China" but "柬埔寨、中国"."""
    separator = "、" if reading_locale().language == "zh" else ", "
    return separator.join(str(item) for item in items)


def format_count(value: int | None) -> str:
    """A count of rows, records or bytes: "12,345"."""
    return format_decimal(value, locale=format_locale()) if value is not None else ""


def format_seconds(value: float | None) -> str:
    """A duration as the import pages state it: "1.2 s"."""
    if value is None:
        return ""
    return _("%(value)s s", value=format_decimal(value, "0.0", locale=format_locale()))


def format_filesize(size: int | None) -> str:
    """A file's size as people read it: "12 KB", "1.4 MB"."""
    if size is None:
        return ""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_count(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), "0.0", locale=format_locale()))


def format_partial(value) -> str:
    """A partial date as entered: "2025", "March 2026", "17 March 2026"; a plain date as ``format_day``."""
    if value is None:
        return ""
    if isinstance(value, date):
        return format_day(value)
    if getattr(value, "precision", None) == "month":
        from crm.core.partial_dates import month_words

        return month_words(value.start.year, value.start.month)
    if getattr(value, "precision", None) == "day":
        return format_day(value.start)
    return str(value)


def text_rows(value, minimum: int = 3, maximum: int = 25, width: int = 80) -> int:
    """How many rows a text area needs to show ``value`` whole (about ``width`` characters a row), within bounds."""
    lines = str(value or "").split("\n")
    needed = sum(max(1, -(-len(line) // width)) for line in lines) + 1
    return max(minimum, min(maximum, needed))


def has_required(form) -> bool:
    """Whether a form has a visible required field (its labels then carry the mark the form explains)."""
    return any(f.flags.required and f.type not in ("HiddenField", "CSRFTokenField") for f in form)


def register(app):
    """The one display layer: every value a template shows goes through one of these filters."""
    from crm.core.due import due_in
    from crm.money.display import format_amounts, format_money, format_quantity, plain_decimal

    app.jinja_env.globals.update(
        html_lang=lambda: html_lang(select_locale()),
        # The language a template is rendered in, force_locale included (mail is written in its recipient's).
        rendered_lang=lambda: html_lang(str(get_locale() or "en")),
        html_lang_of=html_lang,
        current_language=select_locale,
        languages=LANGUAGES,
        nav_items=nav_items,
        url_with=url_with,
        has_endpoint=has_endpoint,
        current_user=current_user,
    )
    app.jinja_env.filters.update(
        day=format_day,
        partial=format_partial,
        timestamp=format_timestamp,
        filesize=format_filesize,
        number=format_count,
        listed=listed,
        seconds=format_seconds,
        country=country_name,
        money=format_money,
        amounts=format_amounts,
        quantity=format_quantity,
        plain_decimal=plain_decimal,
        due_in=due_in,
        text_rows=text_rows,
        has_required=has_required,
    )
