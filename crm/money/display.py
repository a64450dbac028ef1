"""Showing money, quantities and rates: one format for a page, in the user's locale, by Babel.

Money is the ISO code and the amount rounded once to the currency's ISO 4217 minor units (half to even), with the
locale's separators and the code where the locale puts its currency sign: "CNY 1,150,000.00" in English,
"1 150 000,00 KZT" in Russian. The code, not a sign: "¥" is both CNY and JPY, "CN¥" and "CNY" on one page read as
two currencies.
"""

from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_decimal, parse_pattern

from crm.core.i18n import format_locale
from crm.money.currencies import minor_units
from crm.money.value import Money


def user_locale() -> str:
    return format_locale()


@cache
def _layout(locale_id: str, digits: int) -> tuple[Locale, NumberPattern, bool]:
    """(the locale, the number pattern with ``digits`` decimals, whether the code comes before the number)."""
    locale = Locale.parse(locale_id)
    before = "¤" in locale.currency_formats["standard"].prefix[0]
    return locale, parse_pattern("#,##0" + ("." + "0" * digits if digits else "")), before


def format_money(value, currency: str | None = None, locale: str | None = None) -> str:
    """``Money`` (or a Decimal and a currency) rounded once to the currency's minor unit, half to even."""
    if value is None:
        return ""
    money = (value if isinstance(value, Money) else Money(value, currency)).rounded()
    amount = money.amount or abs(money.amount)  # what rounds to nothing reads 0.00, never -0.00
    return _formatted(amount, money.currency, locale or user_locale())


@lru_cache(maxsize=4096)
def _formatted(amount: Decimal, currency: str, locale_id: str) -> str:
    """A rounded amount as the locale writes it: a page shows the same amounts in its figures, subtotals and
    citations, so each is formatted once."""
    locale, pattern, before = _layout(locale_id, minor_units(currency))
    number = pattern.apply(amount, locale, decimal_quantization=True)
    return f"{currency}\u00a0{number}" if before else f"{number}\u00a0{currency}"


def format_amounts(amounts: dict | None, locale: str | None = None) -> str:
    """{"CNY": Decimal("900000")} → "CNY 900,000.00 · USD 10.00": currencies side by side, never added."""
    shown = [format_money(amount, code, locale) for code, amount in sorted((amounts or {}).items()) if amount]
    return " · ".join(shown) or "—"


def format_quantity(value: Decimal | None, locale: str | None = None) -> str:
    """A quantity as counted: 7, 2.5 — never 7.0000 or 2.5E+0."""
    if value is None:
        return ""
    return format_decimal(value.normalize(), format="#,##0.####", locale=locale or user_locale())


def plain_decimal(value: Decimal) -> str:
    """A Decimal as written by hand: 600, not 6E+2; 0.92, not 0.9200000000 (rates as stored, in full)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
