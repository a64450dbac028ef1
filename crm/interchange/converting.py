"""Amounts converted in an export, when asked (``?convert=USD``, the command line's ``--convert USD``).

Each amount column (an amount with its currency column) gets two more beside them: the amount converted, and
the rates it was converted by, cited as the pages cite them (``crm.money.totals``): each stored rate it was
multiplied (×) or divided (÷) by, with its value, source and date, so that the amount times the cited rates,
rounded once half to even to the currency's minor units, is the converted figure, to the cent. What cannot be
converted says why, and its converted cell stays empty: never 0.

The rates are the pages' (``?rates=month|un|end``, the rate of each amount's month by default): a ledger entry's
amount at the rate of its rate date (with the manual rates scoped to it or its agreement), a tranche at the rate
of the day it was received, an amount without a date of its own (a proposal's, a day rate) at the rate of the
list's last day, or today, as the proposals list converts them. Every rate is read once, before the first row.
"""

from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.interchange.writing import Amount
from crm.money.conversion import NO_SCOPE
from crm.money.currencies import normalise_currency
from crm.money.models import ExchangeRate
from crm.money.totals import RATE_CHOICES, ConvertedTotal, Converter, RatePlan


class ConvertError(ValueError):
    """The currency asked for is not one: the message says so."""


def plan_of(args, fallback_on: date) -> RatePlan | None:
    """The conversion ``args`` ask for (``convert``: a currency; ``rates``: which rates), or None when not asked."""
    code = (args.get("convert") or "").strip()
    if not code:
        return None
    try:
        code = normalise_currency(code)
    except ValueError as error:
        raise ConvertError(f"Cannot convert to “{code[:10]}”: {error}") from None
    key = args.get("rates") if args.get("rates") in RATE_CHOICES else "month"
    return RatePlan(key, code, fallback_on)


class Conversion:
    """An export's amount columns converted under one plan, with every rate they need loaded first."""

    def __init__(self, plan: RatePlan, columns: list, listing: sa.Select):
        self.plan = plan
        self.columns = columns
        keys = set()
        listed = listing.order_by(None).subquery()
        for column in columns:
            currency = listed.c[column.currency]
            if column.rate_on:
                day = listed.c[column.rate_on]
                stmt = sa.select(currency, sa.func.min(day), sa.func.max(day)).group_by(currency)
                for code, first, last in db.session.execute(stmt):
                    keys |= {(code, first), (code, last)}
            else:
                keys |= {(code, None) for code in db.session.scalars(sa.select(currency).distinct())}
        self.converter = Converter.load(plan, {key for key in keys if key[0]})
        scoped = sa.select(ExchangeRate.scope_entry_id, ExchangeRate.scope_agreement_id).where(
            sa.or_(ExchangeRate.scope_entry_id.is_not(None), ExchangeRate.scope_agreement_id.is_not(None))
        )
        rows = db.session.execute(scoped).all()
        # The entries and agreements a manual rate is scoped to.
        self.entries = {entry for entry, _ in rows if entry}
        self.agreements = {agreement for _, agreement in rows if agreement}

    def headers(self, column) -> list[str]:
        target = self.plan.target
        return [f"{column.header} in {target}", f"{column.header} in {target}: rates"]

    def cells(self, value, currency: str | None, day: date | None, scope) -> list:
        """The converted amount and its citation (or why it is not converted); two empty cells for no amount."""
        amount = value.value if isinstance(value, Amount) else value
        if amount is None or not currency:
            return [None, None]
        total = ConvertedTotal.of(
            self.plan.target, {self.bucket(currency, day, scope): amount}, self.converter.of_bucket
        )
        if not total.is_complete:
            return [None, "; ".join(total.not_converted())]
        return [Amount(total.total.amount, self.plan.target), citation(total)]

    def bucket(self, currency: str, day: date | None, scope) -> tuple:
        """What the pages convert the amount as: its currency and rate date, with its scope when a manual rate is
        scoped to its entry or agreement (the others convert with their month's sum)."""
        if scope is not None and (scope.entry_id in self.entries or scope.agreement_id in self.agreements):
            return (currency, day, scope)
        return (currency, day, NO_SCOPE)


def citation(total: ConvertedTotal) -> str:
    """ "1500 CNY × 0.1402 (1 CNY = 0.1402 USD (ECB reference rate, 2026-03-01))": the amount, the rates it was
    multiplied and divided by, and each rate's value, source and date; or that it was in the currency already."""
    cited = total.citations()
    if not cited:
        return f"already in {total.target}"
    return "; ".join(f"{c.amount} {c.currency} {c.factors()} ({c.words()})" for c in cited)
