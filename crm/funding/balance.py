"""A commitment's balance: what is still to come, and what exchange rates did to what came.

Rate-free first, as beancount keeps an inventory: per currency, the committed amount (less its withdrawals) minus
every live tranche received in that currency (a voided tranche counts for nothing). Then, with rates,
the outstanding balance in the commitment's currency and the exchange difference:

- a tranche in another currency settles its value at the rate of the day it was received;
- its exchange difference is that value minus its value at the rate of the day the commitment was booked
  (what rate movements between commitment and receipt gained or lost).

Every converted figure keeps its ``Conversion`` (rate, date, source, path) or the ``ConversionError`` shown
as "not converted: reason" in its place.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from crm.funding.models import LedgerEntry, Tranche
from crm.money import Money
from crm.money.conversion import Conversion, ConversionError, RateBook, Scope, round_exact
from crm.money.policy import Policy


def inventory(committed: Money, tranches: list[Tranche]) -> dict[str, Decimal]:
    """Per currency: committed minus received; no rate needed. A currency that only received is negative."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    balances[committed.currency] += committed.amount
    for tranche in tranches:
        balances[tranche.currency] -= tranche.amount
    return dict(balances)


@dataclass
class TrancheLine:
    tranche: Tranche
    # Its value in the commitment's currency at the rate of the day received, or why it has none.
    settled: Conversion | ConversionError
    # Its value at the rate of the commitment's booking day (only for another currency).
    at_booking: Conversion | ConversionError | None = None

    @property
    def exact_difference(self) -> Fraction | None:
        if self.at_booking is None:
            return Fraction(0)
        if isinstance(self.settled, ConversionError) or isinstance(self.at_booking, ConversionError):
            return None
        return self.settled.amount - self.at_booking.amount

    @property
    def difference(self) -> Money | None:
        """What the rate's movement between booking and receipt made of this tranche, rounded once."""
        exact = self.exact_difference
        if exact is None:
            return None
        target = self.settled.target
        return Money(round_exact(exact, target), target)

    @property
    def problems(self) -> list[ConversionError]:
        return [c for c in (self.settled, self.at_booking) if isinstance(c, ConversionError)]


@dataclass
class Balance:
    committed: Money
    inventory: dict[str, Decimal]
    lines: list[TrancheLine] = field(default_factory=list)

    @property
    def problems(self) -> list[ConversionError]:
        return [problem for line in self.lines for problem in line.problems]

    def _received_exactly(self) -> Fraction | None:
        if any(isinstance(line.settled, ConversionError) for line in self.lines):
            return None
        return sum((line.settled.amount for line in self.lines), Fraction(0))

    def _in_currency(self, value: Fraction) -> Money:
        """An exact value of the commitment's currency, rounded once to its minor unit."""
        return Money(round_exact(value, self.committed.currency), self.committed.currency)

    @property
    def received(self) -> Money | None:
        """Everything received, in the commitment's currency; None if a tranche could not be converted."""
        received = self._received_exactly()
        return None if received is None else self._in_currency(received)

    @property
    def outstanding(self) -> Money | None:
        """Committed minus received, worked out exactly and rounded once."""
        received = self._received_exactly()
        return None if received is None else self._in_currency(Fraction(self.committed.amount) - received)

    @property
    def exchange_difference(self) -> Money | None:
        differences = [line.exact_difference for line in self.lines]
        if any(d is None for d in differences):
            return None
        return self._in_currency(sum(differences, Fraction(0)))

    @property
    def has_foreign_tranches(self) -> bool:
        return any(line.tranche.currency != self.committed.currency for line in self.lines)


def no_booking_date() -> ConversionError:
    return ConversionError("the commitment has no booked date to take a rate from")


def balance(entry: LedgerEntry, extra: list[Tranche] = (), policy: Policy | None = None) -> Balance | None:
    """The balance of a financial entry (None for one without an amount), with ``extra`` tranches not yet saved."""
    if entry.value is None:
        return None
    policy = policy or Policy.transaction_date()
    tranches = entry.live_tranches + [t for t in extra if t not in entry.tranches]
    committed = entry.remaining
    result = Balance(committed, inventory(committed, tranches))
    foreign = [t for t in tranches if t.currency != committed.currency]
    book = load_book(committed, entry.booked_on, foreign, policy)
    scope = Scope(entry.id, entry.agreement_id)
    for tranche in tranches:
        if tranche.currency == committed.currency:
            result.lines.append(TrancheLine(tranche, Conversion(*same(tranche, committed.currency))))
            continue
        settled = book.try_convert(tranche.value, committed.currency, tranche.received_on, policy, scope)
        at_booking = (
            book.try_convert(tranche.value, committed.currency, entry.booked_on, policy, scope)
            if entry.booked_on
            else no_booking_date()
        )
        result.lines.append(TrancheLine(tranche, settled, at_booking))
    return result


def same(tranche: Tranche, currency: str) -> tuple:
    """The fields of an identity conversion (same currency: no rate, nothing to explain)."""
    return (tranche.value, currency, None, tranche.received_on, "", "same currency")


def load_book(committed: Money, booked_on: date | None, foreign: list[Tranche], policy: Policy) -> RateBook:
    if not foreign:
        return RateBook()
    days = [t.received_on for t in foreign] + ([booked_on] if booked_on else [])
    currencies = {committed.currency} | {t.currency for t in foreign}
    return RateBook.load(currencies, min(days), max(days), policy)
