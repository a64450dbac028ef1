"""ISO 4217 currencies: the codes and minor units of ISO's own table (the ``iso4217`` package), names by Babel.

Only current codes of money count as currencies: ISO's table lists funds, precious metals and testing codes
(XAU, XDR, XTS...) without minor units, and withdrawn codes (ATS, AFA, ADP) not at all, so neither is accepted.
Minor units are ISO's (IQD has 3), not CLDR's display digits (which gives IQD 0).
"""

from functools import cache, lru_cache

from babel.numbers import get_currency_name
from iso4217 import Currency

# What users write, mapped to the ISO code the records keep.
ALIASES = {"RMB": "CNY"}


@cache
def _minor_units() -> dict[str, int]:
    return {currency.code: currency.exponent for currency in Currency if currency.exponent is not None}


def known_currencies() -> frozenset[str]:
    return frozenset(_minor_units())


@lru_cache(maxsize=1024)
def normalise_currency(code: str | None) -> str:
    """The ISO 4217 code for ``code`` ("rmb" → "CNY"), or ValueError with a message for the user.

    Cached: dashboards build Money values by the hundred thousand, from a handful of codes.
    """
    cleaned = (code or "").strip().upper()
    cleaned = ALIASES.get(cleaned, cleaned)
    if cleaned not in _minor_units():
        shown = (code or "")[:20]
        raise ValueError(
            f"“{shown}” is not a current ISO 4217 currency code: use one such as USD, EUR, CNY (RMB) or KZT."
        )
    return cleaned


def minor_units(code: str) -> int:
    """ISO 4217's number of decimals of ``code`` (2 for CNY, 0 for JPY, 3 for IQD)."""
    return _minor_units()[code]


def currency_name(code: str, locale: str = "en") -> str:
    return get_currency_name(code, locale=locale)


# The currencies the centres use, first in pickers.
COMMON = (
    "CNY",
    "USD",
    "EUR",
    "KZT",
    "UZS",
    "KGS",
    "TJS",
    "TMT",
    "AMD",
    "AZN",
    "BYN",
    "RUB",
    "NPR",
    "PKR",
    "KHR",
    "GBP",
    "CHF",
    "JPY",
)


@cache
def currency_choices() -> list[tuple[str, str]]:
    common = [(code, f"{code} — {currency_name(code)}") for code in COMMON]
    rest = sorted((code, f"{code} — {currency_name(code)}") for code in known_currencies() if code not in COMMON)
    return common + rest
