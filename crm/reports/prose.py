"""The reports' English, in small rules: how a number opens a sentence, how names are joined, when "the" goes first.

The centres write "Five project proposals have been submitted", "RMB 500,000 for the daily operation of TSCC
NIES", "Research institutions and universities: Tsinghua University, ..."; a draft that reads like a database
dump ("By stage: contacted 15") is rewritten by staff. Each rule here is one the drafter needs; none invents a
fact.

A working copy is drafted in Chinese or Russian (under ``force_locale``): there the English rules step aside (no
articles, no change of case), counts take the language's plural forms (``ngettext``: "1 партнёр", "3 партнёра",
"5 партнёров"; "5个伙伴"), lists are joined as the language joins them (``babel.lists.format_list``) and numbers
are written in its format. In English every rule is as it always was.
"""

import re

from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import get_locale, get_translations


def ngettext(singular: str, plural: str, count: int) -> str:
    """A msgid in the drafting language's plural form for ``count``, its placeholders unfilled (Flask-Babel's own
    ngettext fills them, and keeps ``num`` for itself)."""
    return get_translations().ngettext(singular, plural, count)


def locale_id() -> str:
    """The locale the section is being drafted in ("en", "zh_Hans_CN", "ru")."""
    locale = get_locale()
    return str(locale) if locale else "en"


def english() -> bool:
    return locale_id().split("_")[0] == "en"


def figure(value) -> str:
    """A number in the locale's format: "1 150 000" in Russian."""
    return format_decimal(value, locale=locale_id())


# The last join of a list whose items hold commas, in a working copy's language ("A; B и C").
_AND = {"ru": " и "}
# The nouns the drafter counts, in every plural form of the working copy's language (English keeps ``counted``'s
# own rules: "Five project proposals").
NOUNS = {
    "partner": lambda n: ngettext("%(num)s partner", "%(num)s partners", n),
    "potential partner": lambda n: ngettext("%(num)s potential partner", "%(num)s potential partners", n),
    "project proposal": lambda n: ngettext("%(num)s project proposal", "%(num)s project proposals", n),
    "proposal": lambda n: ngettext("%(num)s proposal", "%(num)s proposals", n),
    "more proposal": lambda n: ngettext("%(num)s more proposal", "%(num)s more proposals", n),
    "project": lambda n: ngettext("%(num)s project", "%(num)s projects", n),
    "expert": lambda n: ngettext("%(num)s expert", "%(num)s experts", n),
    "institution": lambda n: ngettext("%(num)s institution", "%(num)s institutions", n),
    "expert pool": lambda n: ngettext("%(num)s expert pool", "%(num)s expert pools", n),
}

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Words that already determine a noun phrase: no "the" before them.
DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "this", "these", "those", "that", "our", "each", "all"}
ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "next"}
# Words that make an organisation's name a common noun phrase in English ("the Institute of Zoology").
INSTITUTION_WORDS = (
    "academy",
    "agency",
    "association",
    "bank",
    "center",
    "centre",
    "commission",
    "council",
    "department",
    "facility",
    "foundation",
    "fund",
    "garden",
    "institute",
    "ministry",
    "network",
    "office",
    "organisation",
    "organization",
    "partnership",
    "programme",
    "program",
    "secretariat",
    "society",
)


def number(count: int, *, opening: bool = False, words: bool = False) -> str:
    """A count as the reports write it: "Five" opening a sentence, "5" inside one (as "5 international
    meetings"), or in words where the phrase asks for them ("the other two"); from ten on, figures wherever it
    stands. In a working copy: the figure, in its language's format."""
    if not english():
        return figure(count)
    if (opening or words) and 0 <= count < len(NUMBER_WORDS):
        word = NUMBER_WORDS[count]
        return word.capitalize() if opening else word
    return str(count)


def counted(count: int, singular: str, many: str | None = None, *, opening: bool = False) -> str:
    """ "Five project proposals", "1 partner"; in a working copy, the noun's plural form for the count."""
    if not english() and singular in NOUNS:
        text = NOUNS[singular](count) % {"num": figure(count)}
        return capitalised(text) if opening else text
    return f"{number(count, opening=opening)} {singular if count == 1 else (many or singular + 's')}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def in_sentence(text: str) -> str:
    """A phrase typed in sentence case ("Daily operation of TSCC NIES") as it reads inside a sentence ("daily
    operation of TSCC NIES"). An acronym or a name in title case ("Kunming Biodiversity Fund workshop") stays. A
    working copy quotes the records as they are."""
    if not english():
        return text
    words = text.split(maxsplit=2)
    if not words or not re.fullmatch(r"[A-Z][a-z]+", words[0]):
        return text
    common = words[0].lower() in ORDINALS or words[0].lower() in NUMBER_WORDS
    if common or (len(words) >= 2 and words[1][:1].islower()):
        return text[:1].lower() + text[1:]
    return text


def heading_in_sentence(heading: str) -> str:
    """A type heading inside a sentence: "research institutes and universities", but "UN and international
    bodies" and "NGOs" as they are; in a Russian copy likewise ("научные институты и университеты", "ООН и …"),
    and Chinese, which has no capitals, as it is."""
    return heading[:1].lower() + heading[1:] if heading[1:2].islower() else heading


def with_the(phrase: str) -> str:
    """ "the daily operation of TSCC NIES", "the first Steering Committee meeting"; not "the two CCICED projects"
    nor "the TSCC NIES-related activities". No article in a working copy."""
    if not english():
        return phrase
    first = phrase.split(maxsplit=1)[0].lower() if phrase.strip() else ""
    if not first or first in DETERMINERS or first in NUMBER_WORDS:
        return phrase
    year = re.fullmatch(r"(19|20)\d\d", first)
    if first[0].isdigit() and not year:
        return phrase
    if first in ORDINALS or " of " in phrase:
        return f"the {phrase}"
    return phrase


def named(name: str) -> str:
    """An organisation's name where grammar needs an article: "the China Association for Science and
    Technology", "the CBD Secretariat"; not "Tsinghua University" nor "NIES". No article in a working copy."""
    if not english():
        return name
    words = name.split()
    if not words or words[0].lower() == "the":
        return name
    lowered = [w.strip("(),").lower() for w in words]
    if lowered[-1] == "university" and "of" not in lowered:
        return name
    if any(word in INSTITUTION_WORDS for word in lowered):
        return f"the {name}"
    return name


def joined(items: list[str]) -> str:
    """ "A, B and C"; items that hold commas ("Chengdu Institute of Biology, Chinese Academy of Sciences") are
    joined with semicolons so that each stays whole ("A, CAS; B; and C"); in a list of three or more whose items
    hold "and", a comma before the last "and" keeps them apart ("A and B, C, and D and E")."""
    items = [item for item in items if item]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if not english():
        # Chinese lists with "、", which no name holds; Russian names that hold commas are kept apart with semicolons.
        if not locale_id().startswith("zh") and any(re.search(r",(?!\d)", item) for item in items):
            return "; ".join(items[:-1]) + _AND.get(locale_id().split("_")[0], " ") + items[-1]
        return format_list(items, locale=locale_id())
    # A comma inside a figure ("RMB 500,000") is not one that splits a name.
    if any(re.search(r",(?!\d)", item) for item in items):
        return "; ".join(items[:-1]) + "; and " + items[-1]
    serial = "," if len(items) > 2 and any(" and " in item for item in items) else ""
    return ", ".join(items[:-1]) + f"{serial} and " + items[-1]


def semicolons(items: list[str]) -> str:
    """ "A; B; and C": items that hold commas and lists of their own; in a working copy, the language's own
    semicolon ("；" in Chinese)."""
    if len(items) == 1:
        return items[0]
    if not english():
        return ("；" if locale_id().startswith("zh") else "; ").join(items)
    return "; ".join(items[:-1]) + "; and " + items[-1]


def quoted(title: str) -> str:
    """Straight quotes, as the reports write titles: the PDF's CJK font sets curly ones full width. A working copy
    quotes as its language does: “…” in Chinese, «…» in Russian."""
    if not english():
        return f"“{title}”" if locale_id().startswith("zh") else f"«{title}»"
    return f'"{title}"'


def verb(count: int, singular: str, many: str) -> str:
    return singular if count == 1 else many
