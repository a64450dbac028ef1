"""The interface's languages: complete, current catalogues, and requests served in the language asked for."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask_babel import ngettext

import crm
from crm.core.enums import LabelledEnum

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "crm" / "translations"
TRANSLATED = ("ru", "zh_Hans_CN")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(name: str):
    path = CATALOGUES / "messages.pot" if name == "pot" else CATALOGUES / name / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        return read_po(file, locale=None if name == "pot" else name)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def catalogue_faults(language: str) -> list[str]:
    """Every way the language's catalogue falls short of the template: missing, fuzzy, untranslated, or with
    placeholders other than the msgid's (for plurals, every form has the plural msgid's)."""
    translated = catalogue(language)
    faults = []
    for message in catalogue("pot"):
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        if entry is None:
            faults.append(f"missing: {message.id!r}")
            continue
        if entry.fuzzy:
            faults.append(f"fuzzy: {message.id!r}")
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(forms):
            faults.append(f"untranslated: {message.id!r}")
            continue
        wanted = placeholders(message.id[-1] if isinstance(message.id, tuple) else message.id)
        faults += [f"placeholders differ: {message.id!r} → {form!r}" for form in forms if placeholders(form) != wanted]
    return faults


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(language):
    assert catalogue_faults(language) == []


def test_the_catalogues_are_current_with_the_sources(tmp_path):
    """Extracted afresh as ``make translations`` extracts, the sources give exactly the template's messages."""
    fresh = tmp_path / "messages.pot"
    keywords = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2"]
    sources = [str(ROOT / "crm"), str(ROOT / "templates")]
    arguments = ["-F", str(ROOT / "babel.cfg"), *keywords, "-o", str(fresh), *sources]
    CommandLineInterface().run(["pybabel", "-q", "extract", *arguments])
    with fresh.open("rb") as file:
        extracted = {message.id for message in read_po(file) if message.id}
    assert extracted == {message.id for message in catalogue("pot") if message.id}, "run make translations"


def test_a_chinese_browser_gets_chinese_and_a_russian_one_russian(client):
    """zh-CN must reach the zh_Hans_CN catalogue (a catalogue filed as zh_CN would fall back to English)."""
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in chinese and "<h1>登录</h1>" in chinese
    russian = client.get("/login", headers={"Accept-Language": "ru-RU"}).get_data(as_text=True)
    assert '<html lang="ru">' in russian and "<h1>Войти</h1>" in russian
    english = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "<h1>Sign in</h1>" in english


@pytest.mark.parametrize(
    "count, words", [(1, "1 поле требует"), (3, "3 поля требуют"), (5, "5 полей требуют"), (21, "21 поле требует")]
)
def test_russian_plurals_take_their_three_forms(app, count, words):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        shown = ngettext(
            "Nothing was saved yet: one field needs your attention.",
            "Nothing was saved yet: %(num)d fields need your attention.",
            count,
        )
    assert words in shown


@pytest.mark.parametrize(
    "language, required",
    [("ru", "Обязательное поле."), ("zh-CN", "该字段是必填字段。"), ("en", "This field is required.")],
)
def test_wtforms_own_messages_follow_the_language(client, language, required):
    page = client.post("/login", data={}, headers={"Accept-Language": language}).get_data(as_text=True)
    assert required in page


def test_the_login_switch_sets_the_language_for_the_session_and_then_the_account(app, client, make):
    from crm.auth.models import Role
    from crm.extensions import db

    user = make.user(Role.STAFF, password="a long enough passphrase 1")
    client.post("/language", data={"language": "ru", "next": "/login"})
    assert "<h1>Войти</h1>" in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": "a long enough passphrase 1"})
    db.session.refresh(user)
    assert user.language == "ru"


def test_the_login_switch_takes_the_hostile_corpus_and_only_offers_its_languages(app, client):
    """The switch sits on the login page, which the signed-in walk of every form does not see."""

    from tests import hostile

    for value in [*hostile.TEXTS.values(), *hostile.REFUSED_TEXTS.values(), "zh_CN", "fr", ""]:
        response = client.post("/language", data={"language": value, "next": "https://evil.example/"})
        assert response.status_code == 302 and "evil.example" not in response.location
        with client.session_transaction() as kept:
            assert kept.get("language") is None
    client.post("/language", data={"language": "zh_Hans_CN"})
    with client.session_transaction() as kept:
        assert kept["language"] == "zh_Hans_CN"


def test_a_new_user_reads_their_browsers_language_until_they_choose_one(app, client, make):
    from crm.auth.models import Role
    from crm.extensions import db

    user = make.user(Role.STAFF, password="a long enough passphrase 1")
    assert user.language == ""
    client.post(
        "/login",
        data={"email": user.email, "password": "a long enough passphrase 1"},
        headers={"Accept-Language": "ru-RU,ru;q=0.9"},
    )
    assert '<html lang="ru">' in client.get("/account", headers={"Accept-Language": "ru-RU"}).get_data(as_text=True)
    # Their profile saves with the language left to the browser, and once chosen it holds whatever the browser says.
    page = client.get("/account").get_data(as_text=True)
    assert "As my browser asks" in page
    db.session.refresh(user)
    user.language = "zh_Hans_CN"
    db.session.commit()
    assert '<html lang="zh-Hans">' in client.get("/account", headers={"Accept-Language": "ru"}).get_data(as_text=True)


def labelled_enums() -> list[type[LabelledEnum]]:
    """Every LabelledEnum of the application, once every module of crm is imported."""
    for module in pkgutil.walk_packages(crm.__path__, "crm."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return sorted(set(subclasses(LabelledEnum)), key=lambda cls: cls.__module__ + cls.__qualname__)


def test_every_choice_has_an_explicit_label_to_translate():
    """A label derived from the value ("in_preparation" → "In preparation") never reaches a catalogue."""
    unlabelled = [
        f"{cls.__module__}.{cls.__qualname__}.{member.name}"
        for cls in labelled_enums()
        for member in cls
        if member.value not in cls.__labels__
    ]
    assert unlabelled == []


@pytest.mark.parametrize(
    "language, day, count, seconds",
    [
        ("en", "15 December 2026", "12,345", "1.2 s"),
        ("ru", "15 декабря 2026\u202fг.", "12\xa0345", "1,2 с"),
        ("zh-CN", "2026年12月15日", "12,345", "1.2 秒"),
    ],
)
def test_days_counts_and_durations_are_written_as_the_language_writes_them(app, language, day, count, seconds):
    from datetime import date

    from crm.core.templating import format_count, format_day, format_seconds

    with app.test_request_context(headers={"Accept-Language": language}):
        assert (format_day(date(2026, 12, 15)), format_count(12345), format_seconds(1.23)) == (day, count, seconds)
