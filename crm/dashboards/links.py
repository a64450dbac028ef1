"""Every figure is a link to the list of the records behind it, filtered as the figure counts them: the same
centre, row and column, the same period, and for money the same currency and rates, so that the list shows the
same total (``crm.funding.queries.totals``, the other registers' period read models)."""

import enum
from datetime import date, timedelta

from flask import current_app, url_for

from crm.dashboards.queries import Scope
from crm.funding.models import Measure
from crm.money.totals import RatePlan

# Where each money column's records are listed (entries, or the money received), and which of the list's totals
# is the figure's.
MEASURE_LISTS = {
    "pledged": ("funding.index", "pledged", "pledged"),
    "committed": ("funding.index", "committed", "committed"),
    "received": ("funding.receipts", None, "received"),
    "outstanding": ("funding.index", "committed", "outstanding"),
}


def _cleaned(args: dict) -> dict:
    return {
        key: value.value if isinstance(value, enum.Enum) else value
        for key, value in args.items()
        if value is not None and value != ""
    }


class Links:
    """``links.to(endpoint, **filters)`` for counts, ``links.money(column, **filters)`` for a money cell."""

    def __init__(self, scope: Scope, plan: RatePlan):
        self.scope = scope
        self.period = scope.span.args()
        self.conversion = {"currency": plan.target, "rates": plan.key}

    def to(self, endpoint: str, **filters) -> str | None:
        if endpoint not in current_app.view_functions:
            return None
        return url_for(endpoint, **_cleaned(self.period | filters))

    def money(self, column: Measure | str, **filters) -> str | None:
        endpoint, measure, total = MEASURE_LISTS[str(column)]
        return self.to(endpoint, measure=measure, total=total, **self.conversion, **filters)

    def proposals(self, total: str, **filters) -> str | None:
        """A proposals money figure (requested, expected or awarded): the list, converted alike, names its total."""
        return self.to("proposals.index", total=total, **self.conversion, **filters)

    def rows(self, key: str, centre: str | None):
        """For a money table of ``key`` rows (category, quarter): row → the list filters of that row's figures
        (None: the totals row)."""

        def filters(row) -> dict:
            shown = {"centre": centre, "kind": "financial"}
            if row is None:
                return shown
            return shown | (self.quarter(row) if key == "quarter" else {key: row})

        return filters

    def quarter(self, label: str) -> dict:
        """The dates of a quarter row ("2025 Q3"), within the period shown: what its figures count."""
        year, number = int(label[:4]), int(label[-1])
        first = date(year, 3 * number - 2, 1)
        last = (date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)) - timedelta(days=1)
        span = self.scope.span
        first = max(first, span.starts_on) if span.starts_on else first
        last = min(last, span.ends_on) if span.ends_on else last
        return {"from": first.isoformat(), "to": last.isoformat(), "period": None}
