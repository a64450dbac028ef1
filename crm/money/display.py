"""Showing money: Babel's ``format_currency`` in the user's locale (English unless the user has one)."""

from decimal import Decimal

from babel.numbers import format_currency
from flask_login import current_user

from crm.money.value import Money


def user_locale() -> str:
    return getattr(current_user, "locale", None) or "en"


def format_money(value, currency: str | None = None, locale: str | None = None) -> str:
    """``Money`` (or a Decimal and a currency) rounded once to the currency's minor unit, half to even."""
    if value is None:
        return ""
    money = (value if isinstance(value, Money) else Money(value, currency)).rounded()
    return format_currency(money.amount, money.currency, locale=locale or user_locale())


def plain_decimal(value: Decimal) -> str:
    """A Decimal as written by hand: 600, not 6E+2; 0.92, not 0.9200000000."""
    return format(value.normalize(), "f")
