"""Cells read into the values the domains' services take, one reader per kind of column; ``CellError`` says why not.

Each reader also says, for a template's notes, what it accepts, and writes a stored value back as a cell
(``cell``), so that an export read again gives the same values. The readings:

- text: as typed, with surrounding spaces dropped; control characters refused;
- numbers: a number cell as it is (exactly: see ``crm.interchange.reading``), or text in the file's number
  format with ``crm.money.amounts.read_amount`` ("7,2" is 7.2 in Russian; what could be read two ways is
  refused with both readings);
- dates: a date cell, or text as 2026-03-17, 17.03.2026, 17 March 2026 or March 17, 2026; 03/04/2026 is
  refused when it could be either day first or month first;
- choices: the code or its label, in any case ("in_discussion", "In discussion");
- lists: items separated by semicolons or new lines (and commas where no item can hold one).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.core.kmgbf import TARGETS
from crm.core.partial_dates import PartialDate, parse_partial_date
from crm.core.text import clean_text, has_nul
from crm.interchange.reading import CellErrorValue, FormulaText, Inexact
from crm.money.amounts import AmountError, read_amount
from crm.money.currencies import normalise_currency

LIST_SEPARATORS = re.compile(r"[;\n]")
LIST_OR_COMMA = re.compile(r"[;,\n]")


class CellError(ValueError):
    """A cell that cannot be read; the message is for the person who filled it in."""


@dataclass(frozen=True)
class ReadContext:
    locale: str = "en"  # how numbers typed as text are written (a Babel locale)


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def shown(raw) -> str:
    text = str(raw)
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def as_text(raw) -> str:
    """Any cell as text: numbers in full, dates as ISO dates."""
    if isinstance(raw, CellErrorValue):
        raise CellError(_("The cell shows the spreadsheet error %(error)s: type the value itself.", error=raw))
    if isinstance(raw, Inexact):
        raise CellError(
            _(
                "%(value)s is a long number that a spreadsheet rounds: format the column as text and type it again.",
                value=shown(raw),
            )
        )
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, Decimal):
        return format(raw, "f")
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw)


class Reader:
    """Reads one kind of cell. ``read`` is given a non-empty cell; an empty one is ``empty``."""

    holds = "Text"
    empty = None

    def read(self, raw, context: ReadContext):
        return as_text(raw).strip()

    def cell(self, value):
        """A stored value as an export writes it."""
        return value

    def allowed(self) -> str:
        return ""

    def choices(self) -> tuple[str, ...]:
        return ()

    def same(self, a, b) -> bool:
        return _comparable(a) == _comparable(b)


def _comparable(value):
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return sorted(_comparable(item) for item in value)
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, str):
        return value.strip()
    return value


class Text(Reader):
    empty = ""

    def __init__(self, max_length: int = 10_000, lines: bool = True):
        self.max_length = max_length
        self.lines = lines

    def read(self, raw, context):
        """The cell's text under the app's one text rule (crm.core.text), as a form would keep it."""
        text = as_text(raw)
        if has_nul(text):
            raise CellError(_("The cell holds a NUL character (binary data, not text): retype the cell."))
        text = clean_text(text, multiline=self.lines).strip()
        if not self.lines:
            text = " ".join(text.split())
        if len(text) > self.max_length:
            raise CellError(
                _(
                    "At most %(limit)s characters; this cell has %(length)s.",
                    limit=f"{self.max_length:,}",
                    length=f"{len(text):,}",
                )
            )
        return text

    def allowed(self) -> str:
        return f"Text, at most {self.max_length:,} characters" + ("" if self.lines else ", on one line") + "."


class Email(Text):
    holds = "E-mail address"

    def __init__(self):
        super().__init__(254, lines=False)

    def read(self, raw, context):
        text = super().read(raw, context)
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            raise CellError(
                _("%(value)s is not an e-mail address such as name@example.org.", value=shown(text))
            ) from None
        return text

    def allowed(self) -> str:
        return "An e-mail address such as name@example.org."


def as_number(raw, context: ReadContext, allow_negative: bool = False) -> Decimal:
    if isinstance(raw, bool):
        raise CellError(_("%(value)s is not a number.", value=shown(raw)))
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, Inexact):
        raise CellError(
            _(
                "%(value)s has more than 15 significant digits, which a spreadsheet rounds: "
                "type it as text (with an apostrophe first) to keep every digit.",
                value=shown(raw),
            )
        )
    if isinstance(raw, date):
        raise CellError(_("%(value)s is a date, not a number.", value=shown(as_text(raw))))
    if isinstance(raw, FormulaText):
        raise CellError(
            _("%(value)s is a formula: formulas are never calculated on import; type the number.", value=shown(raw))
        )
    try:
        return read_amount(as_text(raw), context.locale, allow_negative=allow_negative)
    except AmountError as error:
        raise CellError(str(error)) from None


class Number(Reader):
    """An amount, a quantity or a rate; its bounds and minor units are the owning service's to check."""

    holds = "Number"

    def __init__(self, what: str = "A number", allow_negative: bool = False):
        self.what = what
        self.allow_negative = allow_negative

    def read(self, raw, context):
        return as_number(raw, context, self.allow_negative)

    def allowed(self) -> str:
        return f"{self.what}: a number cell, or digits in the file's number format (1234.50, or 1 234,50 in Russian)."


class Integer(Reader):
    holds = "Whole number"

    def __init__(self, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum

    def read(self, raw, context):
        number = as_number(raw, context, allow_negative=True)
        if number != number.to_integral_value() or not self.minimum <= number <= self.maximum:
            raise CellError(
                _(
                    "%(value)s: give a whole number from %(minimum)s to %(maximum)s.",
                    value=shown(as_text(raw)),
                    minimum=self.minimum,
                    maximum=self.maximum,
                )
            )
        return int(number)

    def allowed(self) -> str:
        return f"A whole number from {self.minimum} to {self.maximum}."


class Currency(Reader):
    holds = "Currency"

    def read(self, raw, context):
        try:
            return normalise_currency(as_text(raw))
        except ValueError as error:
            raise CellError(str(error)) from None

    def allowed(self) -> str:
        return "An ISO 4217 code: CNY (or RMB), USD, EUR, KZT, UZS..."


DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


def _day_of(text: str) -> PartialDate:
    """A written date; 17.03.2026 is day first; 03/04/2026 only when one reading is impossible."""
    if match := DOTTED.match(text):
        day, month, year = match.groups()
        return _built(f"{year}-{month}-{day}", text)
    if match := ISO_SLASHED.match(text):
        return _built("-".join(match.groups()), text)
    if match := SLASHED.match(text):
        first, second, year = (int(part) for part in match.groups())
        if first <= 12 and second <= 12 and first != second:
            raise CellError(
                _(
                    "%(value)s could be %(one)s or %(other)s: write it as %(one_iso)s or %(other_iso)s.",
                    value=shown(text),
                    one=_spelled(year, second, first),
                    other=_spelled(year, first, second),
                    one_iso=f"{year}-{second:02d}-{first:02d}",
                    other_iso=f"{year}-{first:02d}-{second:02d}",
                )
            )
        day, month = (first, second) if first > 12 or first == second else (second, first)
        return _built(f"{year}-{month}-{day}", text)
    return _built(text, text)


def _spelled(year: int, month: int, day: int) -> str:
    try:
        from crm.core.templating import format_day

        return format_day(date(year, month, day))
    except ValueError:
        return f"{year}-{month:02d}-{day:02d}"


def _built(text: str, original: str) -> PartialDate:
    try:
        return parse_partial_date(text)
    except ValueError as error:
        reason = str(error).rstrip(".") if "is not a date" not in str(error) else ""
        if reason:
            message = _(
                "%(value)s is not a date: %(reason)s: write it as 2026-03-17, 17.03.2026 or 17 March 2026.",
                value=shown(original),
                reason=reason,
            )
        else:
            message = _(
                "%(value)s is not a date: write it as 2026-03-17, 17.03.2026 or 17 March 2026.", value=shown(original)
            )
        raise CellError(message) from None


class Day(Reader):
    holds = "Date"

    def read(self, raw, context):
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
            raise CellError(
                _(
                    "%(value)s is a number, not a date: format the cell as a date or write 2026-03-17.",
                    value=shown(as_text(raw)),
                )
            )
        value = _day_of(as_text(raw).strip())
        if value.precision != "day":
            if value.precision == "month":
                message = _(
                    "%(value)s names a month; this column needs the day: 2026-03-17.", value=shown(as_text(raw))
                )
            else:
                message = _("%(value)s names a year; this column needs the day: 2026-03-17.", value=shown(as_text(raw)))
            raise CellError(message)
        return value.start

    def allowed(self) -> str:
        return "A date cell, or 2026-03-17, 17.03.2026 or 17 March 2026."


class PartialDay(Reader):
    holds = "Date, month or year"

    def read(self, raw, context):
        if isinstance(raw, datetime):
            return PartialDate(raw.date())
        if isinstance(raw, date):
            return PartialDate(raw)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, Decimal):
            raise CellError(
                _("%(value)s is a number, not a date: write 2026-03-17, 2026-03 or 2026.", value=shown(as_text(raw)))
            )
        return _day_of(as_text(raw).strip())

    def cell(self, value):
        return value.iso if value else None

    def allowed(self) -> str:
        return "A day (2026-03-17), a month (2026-03 or March 2026) or a year (2026): nothing more is assumed."


def _code(text: str) -> str:
    return re.sub(r"[\s\-/]+", "_", text.strip().casefold()).strip("_")


# A refused choice, one whole sentence per kind of choice (by ``Choice.what``), in the reader's language.
CHOICE_REFUSALS = {
    "stage": _l("%(value)s is not a stage: use one of %(codes)s."),
    "kind of agreement": _l("%(value)s is not a kind of agreement: use one of %(codes)s."),
    "status": _l("%(value)s is not a status: use one of %(codes)s."),
    "engagement basis": _l("%(value)s is not an engagement basis: use one of %(codes)s."),
    "availability": _l("%(value)s is not an availability: use one of %(codes)s."),
    "vetting status": _l("%(value)s is not a vetting status: use one of %(codes)s."),
    "category": _l("%(value)s is not a category: use one of %(codes)s."),
    "kind of resource": _l("%(value)s is not a kind of resource: use one of %(codes)s."),
    "purpose": _l("%(value)s is not a purpose: use one of %(codes)s."),
    "source of rates": _l("%(value)s is not a source of rates: use one of %(codes)s."),
}


class Choice(Reader):
    """One of an enum's members, by its code or its label."""

    holds = "One of a list"

    def __init__(self, enum_class, what: str):
        self.members = list(enum_class)
        self.what = what
        self.lookup = {}
        for member in self.members:
            self.lookup[_code(member.value)] = member.value
            self.lookup[_code(getattr(member, "label", member.value))] = member.value

    def read(self, raw, context):
        text = as_text(raw)
        value = self.lookup.get(_code(text))
        if value is None:
            sentence = CHOICE_REFUSALS.get(self.what)
            if sentence is None:  # a choice added later, until it has its sentence below
                article = "an" if self.what[:1] in "aeiou" else "a"
                raise CellError(f"{shown(text)} is not {article} {self.what}: use one of {self.allowed_codes()}.")
            raise CellError(str(sentence) % {"value": shown(text), "codes": self.allowed_codes()})
        return value

    def cell(self, value):
        return str(value) if value is not None else None

    def allowed_codes(self) -> str:
        return ", ".join(member.value for member in self.members)

    def allowed(self) -> str:
        return (
            "; ".join(f"{m.value} ({getattr(m, 'label', m.value)})" for m in self.members) + ". The code or the label."
        )

    def choices(self) -> tuple[str, ...]:
        return tuple(member.value for member in self.members)

    def same(self, a, b) -> bool:
        return (str(a) if a is not None else None) == (str(b) if b is not None else None)


class Flag(Reader):
    holds = "Yes or no"
    empty = False
    WORDS = {
        "yes": True,
        "y": True,
        "true": True,
        "1": True,
        "x": True,
        "no": False,
        "n": False,
        "false": False,
        "0": False,
    }

    def read(self, raw, context):
        if isinstance(raw, bool):
            return raw
        value = self.WORDS.get(as_text(raw).strip().casefold())
        if value is None:
            raise CellError(_("%(value)s: write yes or no.", value=shown(as_text(raw))))
        return value

    def cell(self, value):
        return "yes" if value else "no"

    def allowed(self) -> str:
        return "yes or no (empty is no)."

    def choices(self) -> tuple[str, ...]:
        return ("yes", "no")


class Many(Reader):
    """A list of items, each read by ``item``."""

    empty: list = []

    def __init__(self, item: Reader, commas: bool = False):
        self.item = item
        self.separators = LIST_OR_COMMA if commas else LIST_SEPARATORS
        self.holds = f"List: {item.holds.lower()}"

    def read(self, raw, context):
        if not isinstance(raw, str):
            return [self.item.read(raw, context)]
        values = []
        for part in self.separators.split(as_text(raw)):
            if part.strip():
                value = self.item.read(part.strip(), context)
                if value not in values:
                    values.append(value)
        return values

    def cell(self, value):
        return "; ".join(str(self.item.cell(item)) for item in value or []) or None

    def allowed(self) -> str:
        separators = (
            "semicolons, commas or new lines" if self.separators is LIST_OR_COMMA else "semicolons or new lines"
        )
        return f"Items separated by {separators}; each: {self.item.allowed()}"


class Target(Reader):
    holds = "KMGBF target"

    def read(self, raw, context):
        text = re.sub(r"^(target|t)\s*", "", as_text(raw).strip(), flags=re.IGNORECASE)
        if not text.isdigit() or int(text) not in TARGETS:
            raise CellError(
                _("%(value)s is not a KMGBF target: targets are numbered 1 to 23.", value=shown(as_text(raw)))
            )
        return int(text)

    def allowed(self) -> str:
        return "A target number, 1 to 23 (“3” or “Target 3”)."


def _by_code(database, text: str):
    """A country or language by its ISO code first ("en" is English, not the En language a name search finds)."""
    if len(text) in (2, 3) and text.isalpha():
        return database.get(**{f"alpha_{len(text)}": text.upper() if database is pycountry.countries else text.lower()})
    return None


class Country(Reader):
    holds = "Country"

    def read(self, raw, context):
        text = as_text(raw).strip()
        try:
            return (_by_code(pycountry.countries, text) or pycountry.countries.lookup(text)).alpha_2
        except LookupError:
            raise CellError(
                _(
                    "%(value)s is not a country: use its ISO 3166 code (CN, KZ, UZ...) or English name.",
                    value=shown(text),
                )
            ) from None

    def allowed(self) -> str:
        return "An ISO 3166 code (CN, KZ, UZ) or the English name (China, Kazakhstan)."


class Language(Reader):
    holds = "Language"

    def read(self, raw, context):
        text = as_text(raw).strip()
        try:
            language = _by_code(pycountry.languages, text) or pycountry.languages.lookup(text)
        except LookupError:
            raise CellError(
                _(
                    "%(value)s is not a language: use its ISO 639 code (en, zh, ru, kk) or English name.",
                    value=shown(text),
                )
            ) from None
        return language.alpha_3

    def allowed(self) -> str:
        return "An ISO 639 code (en or eng, zh or zho, ru, kk) or the English name (Chinese, Russian)."


@dataclass(frozen=True)
class Ref:
    """A reference to another record, as typed (a ref such as ORG-12, or a name); resolved in a batch later."""

    text: str

    def __str__(self) -> str:
        return self.text


class Reference(Reader):
    """A record of another register (or a user), by its ref or its name; ``kind`` names the index that finds it."""

    def __init__(self, kind: str, holds: str, how: str):
        self.kind = kind
        self.holds = holds
        self.how = how

    def read(self, raw, context):
        return Ref(" ".join(as_text(raw).split()))

    def allowed(self) -> str:
        return self.how


class References(Many):
    def __init__(self, kind: str, holds: str, how: str):
        super().__init__(Reference(kind, holds, how))
        self.kind = kind
        self.holds = f"List: {holds.lower()}"
