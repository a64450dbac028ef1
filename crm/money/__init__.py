"""Money: exact amounts in any currency, exchange rates and conversion with provenance."""

from crm.money.currencies import normalise_currency
from crm.money.value import Money

__all__ = ["Money", "normalise_currency"]
