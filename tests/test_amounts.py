"""The one amount field: amounts typed as each locale writes them, bounds storage keeps, never a 500."""

from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from crm.money.amounts import (
    MAX_AMOUNT,
    MAX_RATE,
    AmountError,
    PairError,
    check_amount,
    check_rate,
    money_pair,
    read_amount,
    written,
)
from crm.money.currencies import known_currencies, minor_units, normalise_currency
from crm.money.forms import AmountField, CurrencyField

# What people type, how each locale reads it.
READINGS = [
    ("7,2", "ru", Decimal("7.2")),
    ("1 234,50", "ru", Decimal("1234.50")),
    ("1\u00a0234,5", "ru", Decimal("1234.5")),
    ("1\u202f234\u202f567,89", "ru", Decimal("1234567.89")),
    ("7.2", "ru", Decimal("7.2")),
    ("1.234,5", "ru", Decimal("1234.5")),
    ("12 345 678,9", "kk", Decimal("12345678.9")),
    ("7.2", "en", Decimal("7.2")),
    ("1,234,567.89", "en", Decimal("1234567.89")),
    ("1,234", "en", Decimal("1234")),
    ("250000", "zh_Hans_CN", Decimal("250000")),
    ("1,250.50", "zh_Hans_CN", Decimal("1250.50")),
    (",5", "ru", Decimal("0.5")),
    ("  42 ", "en", Decimal("42")),
]


@pytest.mark.parametrize("text, locale, value", READINGS)
def test_an_amount_is_read_as_the_locale_writes_it(text, locale, value):
    assert read_amount(text, locale) == value


@pytest.mark.parametrize(
    "text, locale, shown",
    [
        ("7,2", "en", "can be read as 72 (the comma grouping thousands) or as 7.2 (the comma marking decimals)"),
        ("1.234", "ru", "can be read as 1234 (the point grouping thousands) or as 1,234 (the point marking decimals)"),
        ("1e3", "en", "write the number in full, without an exponent (1e3 is 1000)"),
        ("1E+15", "en", "without an exponent"),
        ("NaN", "en", "is not a number"),
        ("Infinity", "en", "is not a number"),
        ("$100", "en", "is not a number"),
        ("100 USD", "en", "is not a number"),
        ("1.2.3", "en", "is not a number"),
        ("1,2,3", "en", "is not a number"),
        ("-5", "en", "cannot be negative"),
        ("5,", "ru", "is not a number"),
        ("٣", "en", "is not a number"),
    ],
)
def test_what_could_be_misread_is_refused_with_how_it_was_read(text, locale, shown):
    with pytest.raises(AmountError, match=shown.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        read_amount(text, locale)


def test_a_negative_amount_is_read_where_one_is_allowed():
    assert read_amount("−1 000,5", "ru", allow_negative=True) == Decimal("-1000.5")


@given(st.decimals(min_value=Decimal("-1e13"), max_value=Decimal("1e13"), places=4, allow_nan=False))
def test_what_an_input_shows_reads_back_the_same_in_every_locale(value):
    for locale in ("en", "ru", "zh_Hans_CN"):
        assert read_amount(written(value, locale), locale, allow_negative=True) == value


@pytest.mark.parametrize(
    "value, currency, message",
    [
        ("1500.5", "JPY", "more decimals than JPY allows: no decimals"),
        ("10.12345", "CNY", "at most 2 decimal places"),
        ("0.0005", "IQD", "at most 3 decimal places"),
        ("1e13", "USD", "less than 10,000,000,000,000"),
        ("99999999999999", "USD", "less than"),
        ("0", "CNY", "more than zero"),
        ("-1", "CNY", "cannot be negative"),
    ],
)
def test_an_amount_keeps_iso_minor_units_and_the_storage_bound(value, currency, message):
    with pytest.raises(AmountError, match=message):
        check_amount(Decimal(value), currency)


def test_minor_units_are_iso_4217s_and_obsolete_codes_are_not_currencies():
    assert minor_units("IQD") == 3 and minor_units("JPY") == 0 and minor_units("KZT") == 2
    assert check_amount(Decimal("0.625"), "IQD") == Decimal("0.625")
    for obsolete in ("ATS", "AFA", "ADP", "XAU", "XTS", "ZZZ", "<b>x</b>"):
        assert obsolete not in known_currencies()
        with pytest.raises(ValueError, match="not a current ISO 4217 currency code"):
            normalise_currency(obsolete)
    assert normalise_currency(" rmb ") == "CNY"


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_RATE), "922337204", "0.00000000001"])
def test_a_rate_is_refused_beyond_what_storage_keeps(value):
    with pytest.raises(AmountError):
        check_rate(Decimal(value))


def test_a_pair_names_the_part_at_fault():
    assert money_pair("", None) == (None, None)
    assert money_pair("12.50", "rmb") == (Decimal("12.50"), "CNY")
    for amount, code, part in [("12", "", "currency"), ("", "CNY", "amount"), ("1.005", "USD", "amount")]:
        with pytest.raises(PairError) as refused:
            money_pair(amount, code)
        assert refused.value.part == part


class GrantForm(FlaskForm):
    requested = AmountField("Requested amount", currency_field="currency")
    currency = CurrencyField("Currency", blank="—")
    rate = AmountField("Rate", measure="rate")
    days = AmountField("Days", measure="quantity", allow_zero=True)


def submit(**fields) -> GrantForm:
    data = {"requested": "1", "currency": "CNY", "rate": "7.2", "days": "0"}
    return GrantForm(formdata=MultiDict(data | fields), meta={"csrf": False})


# Every money field of the app is this field: these reach each of them through the hostile-input tests too.
HOSTILE_AMOUNTS = [
    "NaN",
    "nan",
    "-NaN",
    "Infinity",
    "-inf",
    "1e3",
    "1E+400",
    "10.12345",
    "1" + "0" * 15,
    "9" * 40,
    "922337204",
    "99999999999999.99",
    "-0",
    "0x10",
    "١٢٣",
    "１２３",
    "1_000",
    "<script>1</script>",
    "=1+1",
    "' OR 1=1 --",
    "\x00",
    "1\x002",
    "\u202e123",
    "1" * 100_000,
]


@pytest.mark.parametrize("hostile", HOSTILE_AMOUNTS, ids=range(len(HOSTILE_AMOUNTS)))
def test_no_typed_amount_breaks_the_field(ctx, hostile):
    for field in ("requested", "rate", "days"):
        form = submit(**{field: hostile})
        if form.validate():
            value = form[field].data
            assert value.is_finite() and abs(value) < MAX_AMOUNT
        else:
            assert form[field].errors and all(isinstance(e, str) for e in form[field].errors)


def test_the_field_checks_the_currency_beside_it(ctx):
    form = submit(requested="12.5", currency="JPY")
    assert not form.validate()
    assert "JPY" in form.requested.errors[0]
    assert submit(requested="1,250,000.50", currency="rmb").validate()


# A Russian format chosen on its own, or following the Russian interface language.
@pytest.mark.parametrize("language, locale", [("en", "ru"), ("ru", "")])
def test_a_russian_user_types_a_decimal_comma(ctx, make, login, client, language, locale):
    from crm.auth.models import Role

    user = make.user(Role.STAFF, [make.centre()])
    user.language, user.locale = language, locale
    with client.application.test_request_context():
        from flask_login import login_user

        login_user(user)
        form = submit(requested="1 234,50", rate="7,2")
        assert form.validate(), form.errors
        assert form.requested.data == Decimal("1234.50") and form.rate.data == Decimal("7.2")
        assert form.rate._value() == "7,2"
