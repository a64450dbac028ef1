"""The interface's languages: which one a request is served in, and where the catalogues live.

Catalogues are gettext files under crm/translations/<locale>/LC_MESSAGES/messages.po, kept in the repository and
compiled by ``make translations``. Chinese is filed under ``zh_Hans_CN``: Babel parses "zh_CN" to that name, and a
catalogue under the other one would silently fall back to English.
"""

import pycountry
from babel import Locale
from flask import has_app_context, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

# Locale identifier → the language's own name, as offered to a user choosing it.
LANGUAGES = {"en": "English", "zh_Hans_CN": "中文", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
# Where the login page's language switch keeps the choice of someone not yet signed in.
SESSION_KEY = "language"
_FORMAT_LOCALE = "crm.format_locale"


def N_(text: str) -> str:
    """Marks ``text`` for the catalogues where it is defined; it is translated where it is shown (gettext)."""
    return text


def select_locale() -> str:
    """The signed-in user's language, else the one chosen on the login page, else the browser's best match, else
    English (as for the command line, outside any request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = getattr(current_user, "language", None) or session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return browser_language()


def language_of(user) -> str:
    """The language ``user`` reads, away from their browser (their mail): theirs if chosen, else English."""
    chosen = getattr(user, "language", None)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


# A browser's language tag by its primary subtag: zh-CN, zh-Hans, zh-SG and plain zh all mean the Chinese catalogue.
BY_PRIMARY_TAG = {locale_id.split("_")[0]: locale_id for locale_id in LANGUAGES}


def browser_language() -> str:
    """The first language of Accept-Language (in the browser's order of preference) that the interface has."""
    for tag, _quality in request.accept_languages:
        found = BY_PRIMARY_TAG.get(tag.replace("_", "-").split("-")[0].lower())
        if found:
            return found
    return DEFAULT_LANGUAGE


def format_locale() -> str:
    """How numbers, dates and money are shown: the user's own format if they chose one, else their language's.
    Worked out once per request (a dashboard formats a few thousand figures)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    known = request.environ.get(_FORMAT_LOCALE)
    if known is None:
        known = request.environ[_FORMAT_LOCALE] = getattr(current_user, "locale", None) or select_locale()
    return known


def html_lang(locale_id: str) -> str:
    """The BCP 47 tag for ``<html lang>``: "zh-Hans", "ru", "en"."""
    return "zh-Hans" if locale_id.startswith("zh") else locale_id.split("_")[0]


def reading_locale() -> Locale:
    """The locale words are being written in: the request's, or one forced (the filed report's English)."""
    return (get_locale() if has_app_context() else None) or Locale("en")


def country_name(code: str, locale: str | None = None) -> str:
    """A country's name in ``locale`` (default: the one being read); in English, pycountry's common name (the
    reports' "China", "Uzbekistan"), in other languages the CLDR's."""
    reader = Locale.parse(locale) if locale else reading_locale()
    if reader.language != "en" and code in reader.territories:
        return reader.territories[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def language_name(code: str, locale: str | None = None) -> str:
    """An ISO 639-3 language's name in ``locale`` (default: the one being read): CLDR's where it has one, else
    ISO's English."""
    language = pycountry.languages.get(alpha_3=code)
    if language is None:
        return code
    reader = Locale.parse(locale) if locale else reading_locale()
    alpha_2 = getattr(language, "alpha_2", None)
    if reader.language != "en" and alpha_2 in reader.languages:
        return reader.languages[alpha_2]
    return language.name
