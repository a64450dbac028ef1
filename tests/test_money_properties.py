"""Properties of conversion and of the money form field, with Hypothesis."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.money import Money
from crm.money.conversion import RateBook, round_exact
from crm.money.currencies import minor_units
from crm.money.display import format_money
from crm.money.policy import Policy
from crm.money.totals import ConvertedTotal

DAY = date(2025, 6, 2)
CURRENCIES = ["CNY", "KZT", "EUR", "JPY", "KWD", "UZS", "USD"]
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50000"), places=4)


def amounts(currency):
    digits = minor_units(currency)
    return st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=digits, allow_nan=False)


def book_with(per_usd: dict[str, Decimal], source="un") -> RateBook:
    return RateBook([(source, "USD", code, DAY, rate, "test list") for code, rate in per_usd.items() if code != "USD"])


@settings(deadline=None)  # the machine is shared; first calls read the ECB history
@given(data=st.data(), a=st.sampled_from(CURRENCIES), b=st.sampled_from(CURRENCIES), ra=rates, rb=rates)
def test_a_round_trip_through_another_currency_comes_back_within_one_minor_unit(data, a, b, ra, rb):
    book = book_with({a: ra, b: rb})
    original = Money(data.draw(amounts(a)), a)
    there = book.convert(original, b, DAY).amount
    back = there * book.convert(Money(1, b), a, DAY).amount
    assert back == original.amount  # exact ratios: there and back is the identity


@settings(deadline=None)  # the machine is shared; first calls read the ECB history
@given(
    items=st.lists(
        st.tuples(st.sampled_from(CURRENCIES), st.integers(min_value=-(10**9), max_value=10**9)), max_size=40
    ),
    per_usd=st.fixed_dictionaries({code: rates for code in CURRENCIES}),
    target=st.sampled_from(CURRENCIES),
)
def test_the_converted_sum_is_the_sum_of_the_converted_parts_within_the_stated_rounding(items, per_usd, target):
    book = book_with(per_usd)
    conversions = [
        book.convert(Money(Decimal(cents).scaleb(-minor_units(code)), code), target, DAY) for code, cents in items
    ]
    total = ConvertedTotal.of_conversions(target, conversions)
    exact = sum((c.amount for c in conversions), Fraction(0))
    # Rounded once, exactly: the exact sum rounded half to even.
    assert total.exact == exact and total.total.amount == round_exact(exact, target)
    # Rounding each part first would drift by up to half a unit per part; the stated rule never does.
    unit = Decimal(1).scaleb(-minor_units(target))
    rounded_parts = sum((c.rounded().amount for c in conversions), Decimal(0))
    assert abs(total.total.amount - rounded_parts) <= unit / 2 * (len(conversions) + 1)
    assert total.subtotals.get(target, 0) == sum(
        (c.money.amount for c in conversions if c.money.currency == target), Decimal(0)
    )


@settings(deadline=None)  # the machine is shared; first calls read the ECB history
@given(a=st.sampled_from(CURRENCIES), b=st.sampled_from(CURRENCIES), ra=rates, rb=rates)
def test_inverse_rates_are_exact_reciprocals(a, b, ra, rb):
    book = book_with({a: ra, b: rb})
    forward = book.convert(Money(1, a), b, DAY).amount
    backward = book.convert(Money(1, b), a, DAY).amount
    assert forward * backward == 1


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(amount=amounts("CNY"))
def test_display_rounds_once_in_the_users_locale(ctx, amount):
    shown = format_money(Money(amount, "CNY"), locale="en")
    assert shown.startswith("CNY\u00a0")
    assert format_money(Decimal("1234.565"), "USD", locale="en") == "USD\u00a01,234.56"  # half to even
    assert format_money(Decimal("-1234.565"), "KZT", locale="ru") == "-1\u00a0234,56\u00a0KZT"
    with pytest.raises(TypeError):
        format_money(1.5, "USD")


def test_an_amount_that_rounds_to_nothing_reads_zero_whatever_was_shown_before():
    """Amounts are formatted once each (a page repeats them); -0.00 and 0.00 are one figure, shown unsigned."""
    assert format_money(Decimal("0"), "USD", locale="en") == "USD\u00a00.00"
    assert format_money(Decimal("-0.004"), "USD", locale="en") == "USD\u00a00.00"
    assert format_money(Decimal("-0.005"), "USD", locale="en") == "USD\u00a00.00"  # half to even: 0.00
    assert format_money(Decimal("-0.006"), "USD", locale="en") == "USD\u00a0-0.01"
    assert format_money(Decimal("1"), "JPY", locale="en") == "JPY\u00a01"
    assert format_money(Decimal("1"), "JPY", locale="ru") == "1\u00a0JPY"


def test_the_converted_macro_shows_the_rate_or_the_reason(app, ctx):
    from flask import render_template_string

    book = book_with({"KZT": Decimal("500")})
    done = book.convert(Money("1000", "KZT"), "USD", DAY)
    failed = book.try_convert(Money("1000", "TJS"), "USD", DAY, Policy.un())
    template = '{% from "macros/money.html" import conversion %}{{ conversion(a) }}|{{ conversion(b) }}'
    html = render_template_string(template, a=done, b=failed)
    assert "USD\u00a02.00" in html and "test list" in html
    assert "÷ 500" in html and "1 USD = 500 KZT (UN operational rate, 2025-06-02, divided by)" in html
    assert "not converted" in html and "no UN operational rate for TJS/USD on or before 2025-06-02" in html


@settings(deadline=None)  # the machine is shared; first calls read the ECB history
@given(
    items=st.lists(
        st.tuples(
            st.sampled_from(CURRENCIES + ["TJS"]),
            st.integers(min_value=-(10**9), max_value=10**9),
            st.sampled_from([DAY, date(2025, 6, 20)]),
        ),
        max_size=40,
    ),
    per_usd=st.fixed_dictionaries({code: rates for code in CURRENCIES}),
    target=st.sampled_from(CURRENCIES),
)
def test_a_converter_total_equals_the_sum_of_single_conversions(items, per_usd, target):
    from crm.money.totals import Converter, RatePlan

    book = book_with(per_usd)
    rows = [(Decimal(cents).scaleb(-minor_units(code)), code, day) for code, cents, day in items]
    one_by_one = ConvertedTotal.of_conversions(target, [book.try_convert(Money(a, c), target, d) for a, c, d in rows])
    converter = Converter(RatePlan("un", target, DAY), book)
    at_once = converter.total((c, d, a) for a, c, d in rows)
    assert at_once.exact == one_by_one.exact and at_once.total == one_by_one.total
    assert {k: v for k, v in at_once.subtotals.items() if v} == {k: v for k, v in one_by_one.subtotals.items() if v}
    assert at_once.missing_currencies() == one_by_one.missing_currencies()
