"""Money: exact amounts in any currency, exchange rates and conversion with provenance.

For other domains:
- ``Money`` (value.py): a Decimal amount and an ISO 4217 code; floats refused; currencies never mix.
- ``convert`` / ``RateBook`` / ``sum_converted`` (conversion.py) and ``Policy`` (policy.py).
- ``MoneyForm`` / ``money_form_field`` (forms.py) and the ``money_field`` / ``converted`` macros
  (templates/macros/money.html); the ``money`` Jinja filter.
- ``register_amounts`` (registry.py): tell the coverage page where your amounts live.
"""

from crm.money.currencies import normalise_currency
from crm.money.value import Money

__all__ = ["Money", "normalise_currency"]
