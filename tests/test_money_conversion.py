"""Conversion with provenance, on real ECB history (the packaged file) and small UN/manual rate sets: each figure
cites the stored rates it used, with their values, so that a reader reproduces it to the cent."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.money import Money
from crm.money.conversion import (
    ConversionError,
    MissingRate,
    MixedSources,
    RateBook,
    Scope,
    StaleRate,
    UncoveredCurrency,
    convert,
    round_exact,
    try_convert,
)
from crm.money.models import ExchangeRate
from crm.money.policy import Policy
from crm.money.providers import ecb
from crm.money.services import RateError, add_manual_rate, store_rates
from crm.money.totals import ConvertedTotal
from crm.money.value import CurrencyMismatch
from tools.statements import recorded_statements

ECB_ONLY = Policy.transaction_date(sources=["ecb"])


@pytest.fixture
def ecb_rates(app):
    """The ECB history from February 2022 to the end of April 2022 and the year 2025, as the seeds load it."""
    parsed = ecb.parse(since=date(2022, 2, 1))
    parsed.rates = [r for r in parsed.rates if r.effective_on <= date(2022, 4, 30) or r.effective_on.year == 2025]
    store_rates("ecb", parsed)
    db.session.commit()


def reproduced(conversion) -> Money:
    """What a reader makes of the cited rates: the amount × each rate, ÷ each inverted one, rounded once."""
    value = Fraction(conversion.money.amount)
    for leg in conversion.legs:
        value = value / Fraction(leg.value) if leg.inverted else value * Fraction(leg.value)
    return Money(round_exact(value, conversion.target), conversion.target)


def test_cny_to_eur_divides_by_the_ecb_rate(ecb_rates):
    conversion = convert(Money("1000", "CNY"), to="EUR", on=date(2025, 4, 17), policy=ECB_ONLY)
    (leg,) = conversion.legs
    assert (leg.base, leg.quote, leg.value, leg.inverted) == ("EUR", "CNY", Decimal("8.29"), True)
    assert conversion.path == "inverse" and conversion.rate_on == date(2025, 4, 17) and conversion.source == "ecb"
    assert conversion.rounded() == Money("120.63", "EUR") == reproduced(conversion)
    assert "ECB euro reference rates" in conversion.reference
    assert conversion.explain() == "1 EUR = 8.29 CNY (ECB reference rate, 2025-04-17, divided by)"


def test_cny_to_usd_cites_both_legs_through_the_euro(ecb_rates):
    conversion = convert(Money("900000", "RMB"), to="USD", on=date(2025, 4, 17), policy=ECB_ONLY)
    assert conversion.path == "via EUR"
    assert [(leg.base, leg.quote, leg.value, leg.inverted) for leg in conversion.legs] == [
        ("EUR", "CNY", Decimal("8.29"), True),
        ("EUR", "USD", Decimal("1.136"), False),
    ]
    assert conversion.rounded() == Money("123329.31", "USD") == reproduced(conversion)
    assert "1 EUR = 1.136 USD (ECB reference rate, 2025-04-17)" in conversion.explain()


@pytest.mark.parametrize(
    "day, used",
    [
        (date(2025, 4, 19), date(2025, 4, 17)),  # Saturday of Easter
        (date(2025, 4, 18), date(2025, 4, 17)),  # Good Friday: a TARGET holiday
        (date(2025, 4, 21), date(2025, 4, 17)),  # Easter Monday
        (date(2025, 12, 26), date(2025, 12, 24)),  # Christmas holidays
    ],
)
def test_weekends_and_holidays_use_the_latest_rate_before(ecb_rates, day, used):
    conversion = convert(Money("100", "EUR"), to="USD", on=day, policy=ECB_ONLY)
    assert conversion.rate_on == used and conversion.requested_on == day
    assert f"{used}" in conversion.explain()


def test_rub_is_converted_until_the_ecb_stopped_and_refused_after(ecb_rates):
    within_a_week = convert(Money("1000", "RUB"), to="EUR", on=date(2022, 3, 4), policy=ECB_ONLY)
    assert within_a_week.rate_on == date(2022, 3, 1)
    with pytest.raises(UncoveredCurrency) as refused:
        convert(Money("1000", "RUB"), to="EUR", on=date(2022, 4, 1), policy=ECB_ONLY)
    assert refused.value.not_converted == "not converted: the ECB's RUB reference rate stops on 2022-03-01"
    assert refused.value.currency == "RUB"


def test_kzt_has_no_ecb_rate(ecb_rates):
    with pytest.raises(UncoveredCurrency, match="the ECB publishes no reference rate for KZT"):
        convert(Money("1000", "KZT"), to="USD", on=date(2025, 4, 17), policy=ECB_ONLY)


def test_un_rates_cross_through_the_dollar(make):
    make.rate("USD", "KZT", "505.20", date(2025, 6, 1), source="un", reference="UN ORE June 2025")
    make.rate("USD", "CNY", "7.18", date(2025, 6, 1), source="un", reference="UN ORE June 2025")
    conversion = convert(Money("5052000", "KZT"), to="CNY", on=date(2025, 6, 20))
    assert conversion.source == "un" and conversion.path == "via USD"
    assert conversion.rounded() == Money("71800.00", "CNY") == reproduced(conversion)
    assert conversion.reference == "UN ORE June 2025"
    assert [leg.effective_on for leg in conversion.legs] == [date(2025, 6, 1), date(2025, 6, 1)]


def test_a_cross_rate_cites_each_legs_own_date(make):
    make.rate("USD", "KZT", "500", date(2025, 6, 1), source="un")
    make.rate("USD", "CNY", "7.2", date(2025, 6, 16), source="un", reference="revision")
    conversion = convert(Money("5000", "KZT"), "CNY", date(2025, 6, 20), Policy.un())
    assert [(leg.quote, leg.effective_on) for leg in conversion.legs] == [
        ("KZT", date(2025, 6, 1)),
        ("CNY", date(2025, 6, 16)),
    ]
    assert conversion.rate_on == date(2025, 6, 16)


def test_an_exact_tie_rounds_half_to_even(make):
    """CNY 4.50 at 1 USD = 7.2 CNY is exactly USD 0.625: half to even, 0.62 (a rate cut to 28 digits gave 0.63)."""
    make.rate("USD", "CNY", "7.2", date(2025, 6, 1), source="un")
    conversion = convert(Money("4.50", "CNY"), "USD", date(2025, 6, 2))
    assert conversion.amount == Fraction(5, 8)
    assert conversion.rounded() == Money("0.62", "USD")
    total = ConvertedTotal.of_conversions("USD", [conversion, convert(Money("4.50", "CNY"), "USD", date(2025, 6, 2))])
    assert total.total == Money("1.25", "USD")


rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4)
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2)


@settings(max_examples=300)
@given(a=rates, b=rates, amount=amounts, inverse=st.booleans())
def test_inverse_and_cross_conversions_round_as_exact_fractions(a, b, amount, inverse):
    day = date(2025, 6, 2)
    book = RateBook([("un", "USD", "KZT", day, a, "l"), ("un", "USD", "CNY", day, b, "l")])
    source, target = ("KZT", "USD") if inverse else ("KZT", "CNY")
    conversion = book.convert(Money(amount, source), target, day)
    exact = Fraction(amount) / Fraction(a) * (1 if inverse else Fraction(b))
    assert conversion.amount == exact
    digits = Fraction(100)
    assert conversion.rounded().amount == Decimal(round(exact * digits)) / 100


def test_mid_month_un_revisions_count_from_their_date(make):
    make.rate("USD", "KZT", "500", date(2025, 6, 1), source="un")
    make.rate("USD", "KZT", "520", date(2025, 6, 16), source="un", reference="mid-month revision")
    policy = Policy.un()
    assert convert(Money("5200", "KZT"), "USD", date(2025, 6, 20), policy).rounded() == Money("10.00", "USD")
    assert convert(Money("5000", "KZT"), "USD", date(2025, 6, 15), policy).rounded() == Money("10.00", "USD")
    assert "mid-month revision from its effective date" in policy.statement("USD")


def test_the_policy_order_decides_the_source_and_sources_never_mix(make):
    make.rate("USD", "KZT", "500", date(2025, 6, 1), source="un")
    make.rate("EUR", "USD", "1.10", date(2025, 6, 2), source="ecb")
    make.rate("USD", "KZT", "480", date(2025, 6, 3), source="manual", reason="bank statement")
    money = Money("1000", "KZT")
    assert convert(money, "USD", date(2025, 6, 5)).source == "manual"
    assert convert(money, "USD", date(2025, 6, 5), Policy.un()).legs[0].value == Decimal(500)
    # EUR/KZT would need ECB's EUR/USD and UN's USD/KZT: two sources, refused, and said so.
    with pytest.raises(MixedSources) as refused:
        convert(money, "EUR", date(2025, 6, 5), Policy.transaction_date(sources=["un", "ecb"]))
    assert "never combines two sources in one conversion" in refused.value.reason
    assert "have KZT but not EUR" in refused.value.reason


def test_failures_say_what_is_missing_or_too_old_never_zero_or_one(make):
    make.rate("USD", "UZS", "12650", date(2025, 1, 1), source="un")
    with pytest.raises(StaleRate, match="2025-01-01, more than 45 days before 2025-06-01"):
        convert(Money("1000", "UZS"), "USD", date(2025, 6, 1), Policy.un())
    # A cross rate with one leg present names the leg that is missing.
    make.rate("USD", "KZT", "505", date(2025, 5, 25), source="un")
    with pytest.raises(MissingRate) as refused:
        convert(Money("1000", "KZT"), "CNY", date(2025, 6, 3), Policy.un())
    assert refused.value.reason == "no UN operational rate for USD/CNY on or before 2025-06-03"
    assert refused.value.currency == "CNY"
    # No extrapolation backwards either: a rate after the date is not used.
    with pytest.raises(MissingRate):
        convert(Money("1000", "UZS"), "USD", date(2024, 12, 31), Policy.un())
    result = try_convert(Money("1000", "TJS"), "USD", date(2025, 6, 1))
    assert isinstance(result, UncoveredCurrency) and result.money == Money("1000", "TJS")
    assert "the ECB publishes no reference rate for TJS" in result.not_converted


def test_a_manual_rate_for_one_entry_converts_that_entry_only(make):
    from crm.auth.models import Role

    admin = make.user(Role.ADMIN)
    centre = make.centre()
    letter = make.ledger_entry(centre, amount="2000000", currency="KZT", booked_on=date(2025, 11, 15))
    other = make.ledger_entry(centre, amount="2000000", currency="KZT", booked_on=date(2025, 11, 15))
    make.rate("USD", "KZT", "500", date(2025, 11, 1), source="un")
    add_manual_rate(
        base="USD",
        quote="KZT",
        rate=Decimal("400"),
        effective_on=date(2025, 10, 1),
        reason="grant letter",
        user=admin,
        scope="entry",
        entry_id=letter.id,
    )
    book = RateBook.load({"KZT", "USD"}, date(2025, 11, 15), date(2025, 11, 15))
    scoped = book.convert(letter.value, "USD", letter.booked_on, scope=Scope(letter.id))
    assert scoped.rounded() == Money("5000.00", "USD") and scoped.legs[0].scope == f"entry:{letter.id}"
    assert book.convert(other.value, "USD", other.booked_on, scope=Scope(other.id)).rounded() == Money("4000.00", "USD")
    with pytest.raises(RateError, match="already converts ledger entry"):
        add_manual_rate(
            base="KZT",
            quote="USD",
            rate=Decimal("0.0025"),
            effective_on=date(2025, 10, 2),
            reason="again",
            user=admin,
            scope="entry",
            entry_id=letter.id,
        )


def test_a_network_manual_rate_converts_within_its_range_only(make):
    from crm.auth.models import Role

    admin = make.user(Role.ADMIN)
    make.rate("USD", "KGS", "87", date(2025, 1, 1), source="un")
    make.rate("USD", "KGS", "88", date(2025, 2, 1), source="un")
    add_manual_rate(
        base="USD",
        quote="KGS",
        rate=Decimal("80"),
        effective_on=date(2025, 1, 10),
        reason="bank",
        user=admin,
        valid_until=date(2025, 1, 20),
    )
    assert convert(Money("800", "KGS"), "USD", date(2025, 1, 15)).legs[0].source == "manual"
    assert convert(Money("870", "KGS"), "USD", date(2025, 1, 25)).legs[0].source == "un"
    assert convert(Money("880", "KGS"), "USD", date(2025, 2, 5)).rounded() == Money("10.00", "USD")
    with pytest.raises(RateError, match="already converts the network"):
        add_manual_rate(
            base="KGS",
            quote="USD",
            rate=Decimal("0.0125"),
            effective_on=date(2025, 1, 18),
            reason="overlap",
            user=admin,
            valid_until=date(2025, 1, 30),
        )
    with pytest.raises(RateError, match="last day"):
        add_manual_rate(
            base="USD", quote="KGS", rate=Decimal("80"), effective_on=date(2025, 3, 1), reason="x", user=admin
        )


def test_the_same_currency_is_exactly_itself():
    conversion = RateBook().convert(Money("12.345", "USD"), "USD", date(2025, 1, 1))
    assert conversion.rate is None and conversion.path == "same currency" and conversion.amount == Fraction("12.345")


def test_fixed_date_policy_uses_one_date_for_every_amount(make):
    make.rate("USD", "CNY", "7.10", date(2025, 1, 1), source="un")
    make.rate("USD", "CNY", "7.30", date(2026, 4, 1), source="un")
    policy = Policy.fixed_date(date(2026, 4, 30), sources=["un"])
    conversion = convert(Money("730", "CNY"), "USD", date(2025, 1, 15), policy)
    assert conversion.rounded() == Money("100.00", "USD") and conversion.rate_on == date(2026, 4, 1)
    assert policy.statement("USD") == (
        "Converted at the rates of 2026-04-30 for every amount (UN operational rates); "
        "exact sums rounded once to the cent, half to even."
    )


def test_a_rate_book_converts_many_amounts_in_two_queries(app, make):
    for month in range(1, 13):
        make.rate("USD", "KZT", str(480 + month), date(2025, month, 1), source="un")
        make.rate("USD", "CNY", "7.2", date(2025, month, 1), source="un")
    with recorded_statements(db.engine) as statements:
        policy = Policy.un()
        book = RateBook.load({"KZT", "CNY", "USD"}, date(2025, 1, 1), date(2025, 12, 31), policy)
        results = [
            book.try_convert(
                Money(str(n), "KZT" if n % 2 else "CNY"), "USD", date(2025, 1 + n % 12, 1 + n % 28), policy
            )
            for n in range(2000)
        ]
    assert len([s for s in statements if "exchange_rates" in s]) == 2
    total = ConvertedTotal.of_conversions("USD", results)
    assert total.is_complete
    assert total.exact == sum(r.amount for r in results)
    assert total.total.amount == round_exact(sum(r.amount for r in results), "USD")
    assert set(total.subtotals) == {"CNY", "KZT"}


def test_a_total_keeps_failures_out_and_beside_it(make):
    make.rate("USD", "CNY", "7", date(2025, 1, 1), source="un")
    book = RateBook.load({"CNY", "KZT", "USD"}, date(2025, 1, 10), date(2025, 1, 10))
    results = [
        book.try_convert(Money("7", "CNY"), "USD", date(2025, 1, 10)),
        book.try_convert(Money("1000", "KZT"), "USD", date(2025, 1, 10)),
        book.try_convert(Money("0.5", "USD"), "USD", date(2025, 1, 10)),
    ]
    total = ConvertedTotal.of_conversions("USD", results)
    assert total.total == Money("1.50", "USD")
    assert not total.is_complete and total.missing_currencies() == ["KZT"]
    assert total.subtotals["KZT"] == Decimal("1000")


def test_floats_are_refused_and_currencies_do_not_add():
    with pytest.raises(TypeError):
        Money(0.1, "USD")
    with pytest.raises(CurrencyMismatch):
        Money("1", "USD") + Money("1", "EUR")
    db.session.add(ExchangeRate(base="USD", quote="CNY", rate=7.1, effective_on=date(2025, 1, 1), source="manual"))
    with pytest.raises(sa.exc.StatementError, match="Floats are not accepted"):
        db.session.flush()
    db.session.rollback()


def test_rate_storage_is_exact(make):
    stored = make.rate("USD", "IRR", "42000.1234567891", date(2025, 1, 1), source="un")
    db.session.expire_all()
    assert db.session.get(ExchangeRate, stored.id).rate == Decimal("42000.1234567891")


def test_conversion_errors_are_values_a_page_can_show(make):
    result = try_convert(Money("10", "AMD"), "USD", date(2025, 6, 1), Policy.un())
    assert isinstance(result, ConversionError) and result.currency == "AMD"
