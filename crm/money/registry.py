"""Where money lives: each domain registers its amount columns so the coverage page can find them.

Call it from your models module, after the class::

    from crm.money.registry import register_amounts

    register_amounts(Pledge, Pledge.amount, Pledge.currency, Pledge.pledged_on, label="Pledges")

The coverage page then asks, in one GROUP BY per registered table, which currencies
and dates hold amounts, and whether a rate converts them.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from crm.extensions import db


@dataclass(frozen=True)
class AmountColumns:
    model: type
    amount: object
    currency: object
    dated: object
    label: str


_registered: dict[str, AmountColumns] = {}


def register_amounts(model, amount_col, currency_col, date_col, label: str | None = None) -> None:
    """``model`` is a mapped class (or a Core ``Table``); the columns are its attributes."""
    table_name = getattr(model, "__tablename__", None) or model.name
    label = label or table_name.replace("_", " ").capitalize()
    _registered[f"{table_name}.{amount_col.key}"] = AmountColumns(model, amount_col, currency_col, date_col, label)


def registered() -> list[AmountColumns]:
    return list(_registered.values())


@dataclass
class CurrencyUse:
    currency: str
    dates: dict[date | None, int]  # date → number of amounts; None: amounts recorded without a date
    tables: set[str]

    @property
    def count(self) -> int:
        return sum(self.dates.values())


def currencies_in_use() -> dict[str, CurrencyUse]:
    """Currency → the dates its amounts carry (None for undated ones), one GROUP BY query per registered table."""
    uses: dict[str, CurrencyUse] = {}
    for columns in registered():
        rows = db.session.execute(
            sa.select(columns.currency, columns.dated, sa.func.count())
            .where(columns.amount.is_not(None), columns.currency.is_not(None))
            .group_by(columns.currency, columns.dated)
        )
        for currency, day, count in rows:
            use = uses.setdefault(currency, CurrencyUse(currency, {}, set()))
            use.dates[day] = use.dates.get(day, 0) + count
            use.tables.add(columns.label)
    return uses
