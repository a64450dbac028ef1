"""ISO 4217 currencies, named and sized by Babel's CLDR data."""

from functools import cache, lru_cache

from babel.numbers import get_currency_name, get_currency_precision, list_currencies

# What users write, mapped to the ISO code the records keep.
ALIASES = {"RMB": "CNY"}


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=1024)
def normalise_currency(code: str | None) -> str:
    """The ISO 4217 code for ``code`` ("rmb" → "CNY"), or ValueError with a message for the user.

    Cached: dashboards build Money values by the hundred thousand, from a handful of codes.
    """
    cleaned = (code or "").strip().upper()
    cleaned = ALIASES.get(cleaned, cleaned)
    if cleaned not in known_currencies():
        raise ValueError(f"Unknown currency code {code!r}: use an ISO 4217 code such as USD, EUR, CNY (RMB) or KZT.")
    return cleaned


def minor_units(code: str) -> int:
    return get_currency_precision(code)


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
