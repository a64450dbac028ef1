"""Conversion with provenance, on real ECB history (the packaged file) and small UN/manual rate sets."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.money import Money
from crm.money.conversion import (
    ConversionError,
    MissingRate,
    RateBook,
    StaleRate,
    UncoveredCurrency,
    convert,
    sum_converted,
    try_convert,
)
from crm.money.models import ExchangeRate
from crm.money.policy import Policy
from crm.money.providers import ecb
from crm.money.services import store_rates
from crm.money.value import CurrencyMismatch, exactly
from tools.statements import recorded_statements

ECB_ONLY = Policy.transaction_date(sources=["ecb"])


@pytest.fixture
def ecb_rates(app):
    """The ECB history from February 2022 to the end of April 2022 and the year 2025, as the seeds load it."""
    parsed = ecb.parse(since=date(2022, 2, 1))
    parsed.rates = [r for r in parsed.rates if r.effective_on <= date(2022, 4, 30) or r.effective_on.year == 2025]
    store_rates("ecb", parsed)
    db.session.commit()


def test_cny_to_eur_is_the_inverse_of_the_ecb_rate(ecb_rates):
    conversion = convert(Money("1000", "CNY"), to="EUR", on=date(2025, 4, 17), policy=ECB_ONLY)
    assert conversion.rate == 1 / Decimal("8.29")
    assert conversion.path == "inverse"
    assert conversion.rate_on == date(2025, 4, 17)
    assert conversion.source == "ecb"
    assert conversion.rounded() == Money("120.63", "EUR")
    assert "ECB euro reference rates" in conversion.reference
    assert conversion.explain() == "1 CNY = 0.120627 EUR, ECB reference rate of 2025-04-17 (inverse)"


def test_cny_to_usd_crosses_through_the_euro(ecb_rates):
    conversion = convert(Money("900000", "RMB"), to="USD", on=date(2025, 4, 17), policy=ECB_ONLY)
    assert conversion.path == "via EUR"
    assert conversion.rate == (1 / Decimal("8.29")) * Decimal("1.136")
    assert conversion.rounded() == Money("123329.31", "USD")
    assert conversion.explain().endswith("ECB reference rate of 2025-04-17 (via EUR)")


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
    assert conversion.rate_on == used
    assert conversion.requested_on == day
    assert f"of {used} (latest before {day})" in conversion.explain()


def test_rub_is_converted_until_the_ecb_stopped_and_refused_after(ecb_rates):
    within_a_week = convert(Money("1000", "RUB"), to="EUR", on=date(2022, 3, 4), policy=ECB_ONLY)
    assert within_a_week.rate_on == date(2022, 3, 1)
    with pytest.raises(UncoveredCurrency) as refused:
        convert(Money("1000", "RUB"), to="EUR", on=date(2022, 4, 1), policy=ECB_ONLY)
    assert refused.value.not_converted == "not converted: the ECB's RUB reference rate stops on 2022-03-01"


def test_kzt_has_no_ecb_rate(ecb_rates):
    with pytest.raises(UncoveredCurrency, match="the ECB publishes no reference rate for KZT"):
        convert(Money("1000", "KZT"), to="USD", on=date(2025, 4, 17), policy=ECB_ONLY)


def test_un_rates_cross_through_the_dollar(make):
    make.rate("USD", "KZT", "505.20", date(2025, 6, 1), source="un", reference="UN ORE June 2025")
    make.rate("USD", "CNY", "7.18", date(2025, 6, 1), source="un", reference="UN ORE June 2025")
    conversion = convert(Money("5052000", "KZT"), to="CNY", on=date(2025, 6, 20))
    assert conversion.source == "un"
    assert conversion.path == "via USD"
    assert conversion.rounded() == Money("71800.00", "CNY")
    assert conversion.reference == "UN ORE June 2025"


def test_the_policy_order_decides_the_source_and_sources_never_mix(make):
    make.rate("USD", "KZT", "500", date(2025, 6, 1), source="un")
    make.rate("EUR", "USD", "1.10", date(2025, 6, 2), source="ecb")
    make.rate("USD", "KZT", "480", date(2025, 6, 3), source="manual", reason="bank statement")
    money = Money("1000", "KZT")
    assert convert(money, "USD", date(2025, 6, 5)).source == "manual"
    assert convert(money, "USD", date(2025, 6, 5), Policy.un_month()).rate == Decimal(1) / 500
    # EUR/KZT would need ECB's EUR/USD and UN's USD/KZT: two sources, refused.
    with pytest.raises(ConversionError):
        convert(money, "EUR", date(2025, 6, 5), Policy.transaction_date(sources=["un", "ecb"]))


def test_stale_and_missing_rates_are_errors_never_zero_or_one(make):
    make.rate("USD", "UZS", "12650", date(2025, 1, 1), source="un")
    with pytest.raises(StaleRate, match="2025-01-01, older than 45 days"):
        convert(Money("1000", "UZS"), "USD", date(2025, 6, 1), Policy.un_month())
    with pytest.raises(
        MissingRate, match=r"no rate for TJS/USD on or before 2025-06-01 \(manual rates, UN operational"
    ):
        convert(Money("1000", "TJS"), "USD", date(2025, 6, 1), Policy.transaction_date(sources=["manual", "un"]))
    # No extrapolation backwards either: a rate after the date is not used.
    with pytest.raises(MissingRate):
        convert(Money("1000", "UZS"), "USD", date(2024, 12, 31), Policy.un_month())
    result = try_convert(Money("1000", "TJS"), "USD", date(2025, 6, 1))
    assert isinstance(result, UncoveredCurrency) and result.money == Money("1000", "TJS")
    assert result.not_converted == "not converted: the ECB publishes no reference rate for TJS"


def test_the_staleness_limit_is_configurable(app, make):
    make.rate("USD", "KGS", "87", date(2025, 1, 1), source="manual", reason="central bank")
    money = Money("870", "KGS")
    with pytest.raises(StaleRate):
        convert(money, "USD", date(2025, 3, 1))
    app.config["MONEY_STALENESS_DAYS"] = {"manual": 90}
    try:
        assert convert(money, "USD", date(2025, 3, 1)).rounded() == Money("10.00", "USD")
    finally:
        del app.config["MONEY_STALENESS_DAYS"]


def test_the_same_currency_is_exactly_one():
    conversion = RateBook().convert(Money("12.345", "USD"), "USD", date(2025, 1, 1))
    assert conversion.rate == 1 and conversion.path == "same currency" and conversion.amount == Decimal("12.345")


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


def test_un_month_policy_uses_the_first_of_the_month(make):
    make.rate("USD", "KZT", "500", date(2025, 6, 1), source="un")
    make.rate("USD", "KZT", "520", date(2025, 6, 16), source="un", reference="mid-month revision")
    policy = Policy.un_month()
    assert convert(Money("1000", "KZT"), "USD", date(2025, 6, 20), policy).rate == Decimal(1) / 500
    assert convert(Money("1000", "KZT"), "USD", date(2025, 6, 20)).rate == Decimal(1) / 520
    assert "UN operational rate in force on the first day of each transaction's month" in policy.statement("KZT")
    assert "rounded once to whole units" not in policy.statement("USD")


def test_a_rate_book_converts_many_amounts_in_two_queries(app, make):
    for month in range(1, 13):
        make.rate("USD", "KZT", str(480 + month), date(2025, month, 1), source="un")
        make.rate("USD", "CNY", "7.2", date(2025, month, 1), source="un")
    with recorded_statements(db.engine) as statements:
        policy = Policy.un_month()
        book = RateBook.load({"KZT", "CNY", "USD"}, date(2025, 1, 1), date(2025, 12, 31), policy)
        results = [
            book.try_convert(
                Money(str(n), "KZT" if n % 2 else "CNY"), "USD", date(2025, 1 + n % 12, 1 + n % 28), policy
            )
            for n in range(2000)
        ]
    assert len([s for s in statements if "exchange_rates" in s]) == 2
    total = sum_converted(results, "USD")
    assert total.is_complete
    with exactly():  # every digit of each product, as sum_converted adds them
        assert total.exact == sum(r.amount for r in results)
    assert total.exact != sum(r.amount for r in results), "28 digits would have rounded these sums"
    assert total.total == Money(total.exact, "USD").rounded()
    assert set(total.subtotals) == {"CNY", "KZT"}


def test_sum_keeps_failures_out_of_the_total_and_beside_it(make):
    make.rate("USD", "CNY", "7", date(2025, 1, 1), source="un")
    book = RateBook.load({"CNY", "KZT", "USD"}, date(2025, 1, 10), date(2025, 1, 10))
    results = [
        book.try_convert(Money("7", "CNY"), "USD", date(2025, 1, 10)),
        book.try_convert(Money("1000", "KZT"), "USD", date(2025, 1, 10)),
        book.try_convert(Money("0.5", "USD"), "USD", date(2025, 1, 10)),
    ]
    total = sum_converted(results, "USD")
    assert total.total == Money("1.50", "USD")
    assert not total.is_complete and total.failures[0].money == Money("1000", "KZT")
    assert total.subtotals["KZT"] == Money("1000", "KZT")


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
