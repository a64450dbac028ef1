"""Reads for the rates pages: the summary per currency and source, and coverage of the amounts in use."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.money.conversion import ConversionError, RateBook
from crm.money.models import ExchangeRate, RateSource
from crm.money.policy import Policy
from crm.money.providers import ecb
from crm.money.registry import currencies_in_use
from crm.money.value import Money

# Coverage asks whether an amount converts to this currency: UN rates pivot on it and ECB rates cross to it.
COVERAGE_TARGET = "USD"


def rates_stmt(currency: str | None = None, source: str | None = None) -> sa.Select:
    stmt = sa.select(ExchangeRate).order_by(
        ExchangeRate.effective_on.desc(), ExchangeRate.quote, ExchangeRate.base, ExchangeRate.source
    )
    if currency:
        stmt = stmt.where(sa.or_(ExchangeRate.quote == currency, ExchangeRate.base == currency))
    if source:
        stmt = stmt.where(ExchangeRate.source == source)
    return stmt


@dataclass
class SourceSummary:
    source: str
    count: int
    first_on: date
    last_on: date

    @property
    def source_label(self) -> str:
        return RateSource(self.source).label


def summary_by_currency() -> dict[str, list[SourceSummary]]:
    """Currency → what each source holds for it (one GROUP BY)."""
    rows = db.session.execute(
        sa.select(
            ExchangeRate.quote,
            ExchangeRate.source,
            sa.func.count(),
            sa.func.min(ExchangeRate.effective_on),
            sa.func.max(ExchangeRate.effective_on),
        )
        .group_by(ExchangeRate.quote, ExchangeRate.source)
        .order_by(ExchangeRate.quote, ExchangeRate.source)
    )
    summary: dict[str, list[SourceSummary]] = {}
    for quote, source, count, first_on, last_on in rows:
        summary.setdefault(quote, []).append(SourceSummary(source, count, first_on, last_on))
    return summary


@dataclass
class Gap:
    first_on: date
    last_on: date
    count: int  # amounts dated in the gap
    reason: str


@dataclass
class Coverage:
    currency: str
    count: int
    first_on: date | None
    last_on: date | None
    tables: list[str]
    undated: int = 0  # amounts without a date: they convert only under a fixed-date policy
    gaps: list[Gap] = field(default_factory=list)
    ecb_gap: str | None = None

    @property
    def is_covered(self) -> bool:
        return not self.gaps


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def coverage(policy: Policy | None = None) -> list[Coverage]:
    """For each currency with amounts: the dates whose amounts no rate converts, grouped into runs."""
    policy = policy or Policy.transaction_date()
    uses = currencies_in_use()
    if not uses:
        return []
    days = [_day(d) for use in uses.values() for d in use.dates if d is not None] or [date.today()]
    book = RateBook.load(set(uses) | {COVERAGE_TARGET}, min(days), max(days), policy)
    result = []
    for currency, use in sorted(uses.items()):
        dated = sorted((_day(d), n) for d, n in use.dates.items() if d is not None)
        first_on, last_on = (dated[0][0], dated[-1][0]) if dated else (None, None)
        row = Coverage(currency, use.count, first_on, last_on, sorted(use.tables), use.dates.get(None, 0))
        row.ecb_gap = ecb.coverage_gap(currency, last_on or date.today())
        for day, count in dated:
            try:
                book.convert(Money(1, currency), COVERAGE_TARGET, day, policy)
            except ConversionError as error:
                last = row.gaps[-1] if row.gaps else None
                if last and last.reason == error.reason and (day - last.last_on) <= timedelta(days=31):
                    last.last_on, last.count = day, last.count + count
                else:
                    row.gaps.append(Gap(day, day, count, error.reason))
        result.append(row)
    return result


def ecb_coverage() -> list[tuple[str, str]]:
    """The centres' currencies the ECB history does not cover, and why (shown on the coverage page)."""
    from crm.money.currencies import COMMON

    today = date.today()
    return [(code, gap) for code in COMMON if (gap := ecb.coverage_gap(code, today))]


def agreement_choices() -> list[tuple[str, str]]:
    """(id, "CENTRE · title") of every agreement, for a manual rate scoped to one."""
    from crm.agreements.models import Agreement
    from crm.centres.models import Centre

    rows = db.session.execute(
        sa.select(Agreement.id, Centre.code, Agreement.title).join(Centre).order_by(Centre.code, Agreement.title)
    )
    return [(str(i), f"{code} · {title[:100]}") for i, code, title in rows]


def rates_for_record(*, entry_id: int | None = None, agreement_id: int | None = None) -> list[ExchangeRate]:
    """The manual rates entered for one ledger entry or one agreement (its grant letter's rate)."""
    column = ExchangeRate.scope_entry_id if entry_id is not None else ExchangeRate.scope_agreement_id
    return db.session.scalars(
        sa.select(ExchangeRate)
        .where(column == (entry_id if entry_id is not None else agreement_id))
        .order_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.effective_on)
    ).all()
