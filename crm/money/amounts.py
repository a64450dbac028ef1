"""Amounts as people type them, and the bounds every stored amount, rate and quantity keeps.

Reading (``read_amount``), in the writer's locale:

- spaces of any kind (a plain, a no-break or a narrow no-break space) group digits and are dropped:
  "1 234,50" in Russian is 1234.50;
- the locale's decimal mark marks decimals ("7,2" in Russian is 7.2, "7.2" in English); the other of
  "." and "," may group thousands, in groups of three ("1,234,567" in English);
- with both "." and ",", the last one is the decimal mark and the other groups in threes;
- what could be read two ways is refused with both readings shown: "1.234" in Russian (one thousand
  two hundred and thirty-four, or one point two three four?), "7,2" in English (seventy-two, or 7.2?);
- exponent notation ("1e3"), currency signs and letters are refused: an amount is written in full.

Checking (``check_amount``, ``check_rate``, ``check_quantity``): what the ledger stores and sums exactly on
both engines. An amount is below ``MAX_AMOUNT`` (ten trillion units: more than any centre's budget in any
currency, UZS and KHR included) with at most its currency's ISO 4217 minor units; a rate is positive and
below ``MAX_RATE`` with at most ``RATE_PLACES`` decimals; a quantity is positive, below ``MAX_QUANTITY``,
with at most four decimals. Sums of any number of such amounts are made exactly (``crm.core.types``).
"""

import re
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from crm.core.types import MONEY_SCALE, RATE_SCALE
from crm.money.currencies import minor_units

MAX_AMOUNT = Decimal(10) ** 13
MAX_RATE = Decimal(10) ** 8
RATE_PLACES = RATE_SCALE
MAX_QUANTITY = Decimal(10) ** 9
QUANTITY_PLACES = MONEY_SCALE

# Every kind of space a keyboard, a spreadsheet or a locale's grouping puts between digits.
SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f\u2000-\u200a']")
MINUS_SIGNS = ("-", "\u2212")
GROUPED = {".": re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$"), ",": re.compile(r"^[0-9]{1,3}(,[0-9]{3})+$")}


class AmountError(ValueError):
    """An amount refused, with a message for the person who typed it."""


def _language(locale: str) -> str:
    """The name of ``locale``'s language in the reader's own language ("English", "английский", "英语")."""
    try:
        return Locale.parse(locale).get_display_name(get_locale() or "en") or locale
    except (ValueError, UnknownLocaleError):
        return locale


def decimal_mark(locale: str) -> str:
    try:
        return get_decimal_symbol(locale)
    except (ValueError, UnknownLocaleError):
        return "."


def read_amount(text: str, locale: str = "en", *, allow_negative: bool = False) -> Decimal:
    """The number ``text`` says, in ``locale``'s way of writing numbers; AmountError when it says none or two."""
    shown = text.strip()[:40]
    raw = SPACES.sub("", text)
    negative = raw.startswith(MINUS_SIGNS)
    if negative:
        if not allow_negative:
            raise AmountError(_("“%(shown)s”: the amount cannot be negative.", shown=shown))
        raw = raw[1:]
    if raw.startswith("+"):
        raw = raw[1:]
    if not raw:
        raise AmountError(_("“%(shown)s” is not a number.", shown=shown))
    if "e" in raw.lower() and re.fullmatch(r"[0-9.,]+[eE][+-]?[0-9]+", raw):
        raise AmountError(_("“%(shown)s”: write the number in full, without an exponent (1e3 is 1000).", shown=shown))
    if not re.fullmatch(r"[0-9.,]+", raw) or not re.search(r"[0-9]", raw):
        raise _not_a_number(shown, locale)
    number = _plain(raw, shown, locale)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise _not_a_number(shown, locale) from None
    return -value if negative else value


def _not_a_number(shown: str, locale: str) -> AmountError:
    """ "“1.2.3” is not a number: use digits, with “.” before the decimals (as in 1,234.50).", one sentence."""
    mark = decimal_mark(locale)
    example = "1 234,50" if mark == "," else "1,234.50"
    return AmountError(
        _(
            "“%(shown)s” is not a number: use digits, with “%(mark)s” before the decimals (as in %(example)s).",
            shown=shown,
            mark=mark,
            example=example,
        )
    )


def _plain(raw: str, shown: str, locale: str) -> str:
    """``raw`` (digits, "." and ",") as Python writes the number, or AmountError."""
    mark = decimal_mark(locale)
    other = "," if mark == "." else "."
    dots, commas = raw.count("."), raw.count(",")
    if dots and commas:
        last = "." if raw.rfind(".") > raw.rfind(",") else ","
        group = "," if last == "." else "."
        whole, _mark, decimals = raw.rpartition(last)
        if raw.count(last) != 1 or not decimals or not GROUPED[group].match(whole):
            raise _not_a_number(shown, locale)
        return whole.replace(group, "") + "." + decimals
    if not dots and not commas:
        return raw
    used = "." if dots else ","
    whole, _mark, decimals = raw.rpartition(used)
    whole = whole or "0"  # ",5" is a half
    if used == mark:
        if raw.count(used) != 1 or not decimals:
            raise _not_a_number(shown, locale)
        return whole + "." + decimals
    # The locale's other mark: it may group thousands.
    grouped = bool(GROUPED[used].match(raw))
    if raw.count(used) > 1:
        if grouped:
            return raw.replace(used, "")
        raise _not_a_number(shown, locale)
    if not whole or not decimals:
        raise _not_a_number(shown, locale)
    as_group, as_decimal = whole + decimals, _in_locale(f"{whole}.{decimals}", mark)
    if grouped and other == ",":
        return as_group  # "1,234" in English
    if grouped or other == ",":
        # "1.234" in Russian, "7,2" in English.
        words = {"shown": shown, "group": as_group, "decimal": as_decimal, "language": _language(locale)}
        if used == ".":
            raise AmountError(
                _(
                    "“%(shown)s” can be read as %(group)s (the point grouping thousands) or as %(decimal)s (the point "
                    "marking decimals). In %(language)s a comma marks the decimals: write %(group)s or %(decimal)s.",
                    **words,
                )
            )
        raise AmountError(
            _(
                "“%(shown)s” can be read as %(group)s (the comma grouping thousands) or as %(decimal)s (the comma "
                "marking decimals). In %(language)s a point marks the decimals: write %(group)s or %(decimal)s.",
                **words,
            )
        )
    return f"{whole}.{decimals}"


def _in_locale(number: str, mark: str) -> str:
    return number.replace(".", mark)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _significant_places(value: Decimal) -> int:
    """Decimals that carry a digit: 10.50 has one (a trailing zero changes nothing)."""
    return _places(value.normalize()) if value else 0


def _finite(value, what: str) -> Decimal:
    if isinstance(value, float | bool):
        raise AmountError(_("%(what)s must be an exact decimal.", what=what))
    try:
        value = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise AmountError(_("%(what)s must be a number such as 250000 or 1250.50.", what=what)) from None
    if not value.is_finite():
        raise AmountError(_("%(what)s must be a number such as 250000 or 1250.50.", what=what))
    return value


def check_amount(
    value,
    currency: str | None = None,
    *,
    allow_zero: bool = False,
    allow_negative: bool = False,
    what: str | None = None,
) -> Decimal:
    """``value`` as the ledger keeps it, or AmountError: below MAX_AMOUNT, in the currency's minor units.

    ``what``: the amount as the message names it ("The award"), in the reader's language; each message is one
    translated sentence around it."""
    what = what or _("The amount")
    value = _finite(value, what)
    if value < 0 and not allow_negative:
        raise AmountError(_("%(what)s cannot be negative.", what=what))
    if value == 0 and not allow_zero:
        raise AmountError(_("%(what)s must be more than zero.", what=what))
    if abs(value) >= MAX_AMOUNT:
        raise AmountError(
            _(
                "%(what)s must be less than %(limit)s (ten trillion) units of its currency.",
                what=what,
                limit=f"{MAX_AMOUNT:,}",
            )
        )
    digits = minor_units(currency) if currency else MONEY_SCALE
    if _significant_places(value) > digits:
        if digits == 0 and currency:
            message = _(
                "%(what)s has more decimals than %(currency)s allows: no decimals (ISO 4217).",
                what=what,
                currency=currency,
            )
        elif currency:
            message = ngettext(
                "%(what)s has more decimals than %(currency)s allows: at most %(num)d decimal place (ISO 4217).",
                "%(what)s has more decimals than %(currency)s allows: at most %(num)d decimal places (ISO 4217).",
                digits,
                what=what,
                currency=currency,
            )
        else:
            message = ngettext(
                "%(what)s has more decimals than an amount allows: at most %(num)d decimal place (ISO 4217).",
                "%(what)s has more decimals than an amount allows: at most %(num)d decimal places (ISO 4217).",
                digits,
                what=what,
            )
        raise AmountError(message)
    return value


def check_rate(value, what: str | None = None) -> Decimal:
    """A rate as the rates table keeps it: positive, below MAX_RATE, at most RATE_PLACES decimals."""
    what = what or _("The rate")
    value = _finite(value, what)
    if value <= 0:
        raise AmountError(_("%(what)s must be more than zero.", what=what))
    if value >= MAX_RATE:
        raise AmountError(_("%(what)s must be less than %(limit)s units per unit.", what=what, limit=f"{MAX_RATE:,}"))
    if _significant_places(value) > RATE_PLACES:
        raise AmountError(
            _(
                "%(what)s has more than %(places)s decimal places (rates keep at most %(places)s).",
                what=what,
                places=RATE_PLACES,
            )
        )
    return value


def check_quantity(value, what: str | None = None, *, allow_zero: bool = False) -> Decimal:
    what = what or _("The quantity")
    value = _finite(value, what)
    if value < 0 or (value == 0 and not allow_zero):
        if allow_zero:
            raise AmountError(_("%(what)s cannot be negative.", what=what))
        raise AmountError(_("%(what)s must be more than zero.", what=what))
    if value >= MAX_QUANTITY:
        raise AmountError(_("%(what)s must be less than %(limit)s.", what=what, limit=f"{MAX_QUANTITY:,}"))
    if _significant_places(value) > QUANTITY_PLACES:
        raise AmountError(
            _(
                "%(what)s has more than %(places)s decimal places (quantities keep at most %(places)s).",
                what=what,
                places=QUANTITY_PLACES,
            )
        )
    return value


def written(value: Decimal | None, locale: str = "en") -> str:
    """``value`` as an input shows it for editing: in full, the locale's decimal mark, no grouping."""
    if value is None:
        return ""
    text = format(value.normalize() if value == value.to_integral_value() else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", decimal_mark(locale))


class PairError(AmountError):
    """A refused amount-and-currency pair; ``part`` says which of the two the message belongs beside."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.part = part  # "amount" | "currency"


def money_pair(amount, code, what: str | None = None) -> tuple[Decimal | None, str | None]:
    """(amount, currency) both given and valid, or both empty; else PairError naming the part at fault.

    The one check of an amount with its currency, for every service (forms, imports, seeds and the CLI alike)."""
    from crm.money.currencies import normalise_currency

    what = str(what or _("the amount"))
    if amount in (None, "") and not code:
        return None, None
    if amount in (None, ""):
        raise PairError(_("Give %(what)s with its currency, or leave both empty.", what=what), "amount")
    if not code:
        raise PairError(_("Choose the currency of %(what)s.", what=what), "currency")
    try:
        currency = normalise_currency(code)
    except ValueError as error:
        raise PairError(str(error), "currency") from None
    try:
        return check_amount(amount, currency, what=what[:1].upper() + what[1:]), currency
    except AmountError as error:
        raise PairError(str(error), "amount") from None
