"""The Money value: a Decimal amount and an ISO 4217 code. Floats never enter; currencies never mix."""

from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext

from crm.money.currencies import minor_units, normalise_currency

# One rounding rule, stated wherever a rounded figure is shown.
ROUNDING = ROUND_HALF_EVEN
ROUNDING_RULE = "exact sums, rounded once at the end to the currency's minor unit, half to even"


# Where amounts meet rates, every digit kept: Decimal's default context keeps 28 significant digits, fewer than
# an amount (up to 19) times a rate (up to 28) has, so sums of products would depend on the order they are made
# in. Products and sums only: a quotient has no end at this precision.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def exactly():
    """A block in which Decimal products and sums are exact (no division in it)."""
    return localcontext(EXACT)


class CurrencyMismatch(TypeError):
    pass


def to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Floats are refused for money: pass a Decimal, an int or a string.")
    if isinstance(value, bool):
        raise TypeError("Not an amount.")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as error:
        raise ValueError(f"{value!r} is not an amount.") from error
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite amount.")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        # Decimals pass as they are (the common case, by the hundred thousand on dashboards).
        if type(self.amount) is not Decimal or not self.amount.is_finite():
            object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot add {self.currency} and {other.currency}: convert one of them first.")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount < other.amount

    def rounded(self) -> "Money":
        quantum = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(quantum, rounding=ROUNDING), self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)

    def __str__(self) -> str:
        return f"{self.currency} {self.rounded().amount:,}"
