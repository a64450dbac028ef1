"""Column types that keep decimals exact on every engine.

SQLAlchemy's ``Numeric`` goes through float on SQLite (99999999999999.99 comes
back as 99999999999999.98). ``ExactDecimal`` stores a scaled integer on SQLite
and a ``NUMERIC(p, s)`` on PostgreSQL. ``SUM`` keeps working in SQL on both: the
sum of scaled integers is an exact integer, turned back into a Decimal on read.
A value with more decimals than the column holds is refused, never rounded.
"""

from decimal import Decimal

from sqlalchemy import BigInteger, Enum, Numeric, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# Money: up to 10^14 with 4 decimals (every ISO 4217 minor unit) fits an int64.
MONEY_SCALE = 4
# Exchange rates: below 10^9 units per unit, with 10 decimals (a NUMERIC(19, 10) on PostgreSQL).
RATE_SCALE = 10
RATE_PRECISION = 19


def decimal_results(dialect, scale: int):
    """Turns what the engine gives back into Decimals: SQLite's scaled integers (or, for a sum beyond 2^63, the
    integer's text, as ``exact_sum`` and the rollups keep it); PostgreSQL's NUMERIC as the driver gives it."""
    if dialect.name == "sqlite":
        exponent = -scale

        def from_scaled(value):
            if value is None:
                return None
            if value.__class__ is int:
                return Decimal(value).scaleb(exponent)
            if value.__class__ is str and value.lstrip("-").isdigit():
                return Decimal(int(value)).scaleb(exponent)
            raise TypeError(f"An exact decimal column gave {value!r}, not a scaled integer.")

        return from_scaled

    def as_decimal(value):
        return value if value is None or value.__class__ is Decimal else Decimal(value)

    return as_decimal


class ExactDecimal(TypeDecorator):
    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE, precision: int = 19):
        super().__init__()
        self.scale = scale
        self.precision = precision

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("Floats are not accepted for exact decimals; pass a Decimal or a string.")
        value = Decimal(value)
        scaled = value.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places.")
        if dialect.name == "sqlite":
            return int(scaled)
        return value

    def result_processor(self, dialect, coltype):
        """Scaled integers back to Decimals (SQLite), Decimals as the driver gives them (PostgreSQL).

        In place of ``process_result_value``: TypeDecorator would make that two calls per value, and a
        dashboard reads tens of thousands of amounts (this halves its row decoding). Neither engine's impl
        (BIGINT, NUMERIC with psycopg) has a processor of its own to keep."""
        return decimal_results(dialect, self.scale)

    @property
    def python_type(self):
        return Decimal

    def __repr__(self) -> str:
        # Alembic writes this into migrations: the scale and precision must survive (TypeDecorator's own repr
        # describes the BigInteger it wraps, which would turn a rate column into a money column on PostgreSQL).
        return f"ExactDecimal(scale={self.scale}, precision={self.precision})"


def value_enum(enum_class, length: int = 30) -> Enum:
    """A Python enum stored as its members' values in a plain string column.

    Not a native PostgreSQL ENUM, so adding a member needs no ALTER TYPE, and both engines hold the same text.
    """
    return Enum(
        enum_class, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members]
    )


class ExactSum(TypeDecorator):
    """A sum of exact decimals, unbounded: what a rollup keeps and what ``exact_sum`` returns.

    PostgreSQL: NUMERIC without a precision, which no sum overflows. SQLite: the scaled integer written out as
    text (``TEXT`` affinity, so that SQLite never turns a large one into a float); ``exact_add`` and
    ``exact_sum`` (``crm.core.sqlite``) add such values with Python's integers. Read back as a Decimal.
    """

    # Numeric in SQL expressions (``+`` adds); stored as text on SQLite (``load_dialect_impl``).
    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE):
        super().__init__()
        self.scale = scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name != "sqlite":
            return Decimal(value)
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places.")
        return str(int(scaled))

    def result_processor(self, dialect, coltype):
        return decimal_results(dialect, self.scale)

    @property
    def python_type(self):
        return Decimal

    def __repr__(self) -> str:
        return f"ExactSum(scale={self.scale})"


class exact_sum(FunctionElement):  # noqa: N801 - used like sa.func.sum
    """SUM of an exact-decimal column that never overflows: SUM on PostgreSQL (NUMERIC), a Python-integer
    aggregate on SQLite (whose SUM raises 'integer overflow' past 2^63). NULL when there is nothing to sum."""

    inherit_cache = True
    name = "exact_sum"

    def __init__(self, column, scale: int | None = None):
        inner = getattr(column, "type", None)
        scale = scale if scale is not None else getattr(inner, "scale", MONEY_SCALE)
        self.type = ExactSum(scale)
        super().__init__(column)


@compiles(exact_sum)
def _sum_elsewhere(element, compiler, **kw):
    return f"sum({compiler.process(element.clauses, **kw)})"


# SQLite: each value that fits 63 bits (an INTEGER, or the text of one of at most 18 characters) is split into its
# high and low 32 bits, which SQLite's own SUM adds without overflow (up to 2^31 rows); only the larger ones go
# through the Python aggregate (FILTER: it is not even called for the others). The two halves are joined in SQL
# while the high half is small enough that the join cannot overflow, else by ``exact_join`` (crm.core.sqlite), in
# Python integers. The same exact sum as the aggregate alone, at a fraction of its calls (one per row).
_SQLITE_EXACT_SUM = (
    "CASE WHEN {big} IS NULL AND {high} BETWEEN -1073741824 AND 1073741824 THEN {high} * 4294967296 + {low} "
    "ELSE exact_join({high}, {low}, {big}) END"
)


@compiles(exact_sum, "sqlite")
def _sum_on_sqlite(element, compiler, **kw):
    def value() -> str:
        return compiler.process(element.clauses, **kw)

    def fits() -> str:
        return f"(typeof({value()}) = 'integer' OR length({value()}) <= 18)"

    return _SQLITE_EXACT_SUM.format(
        big=f"exact_sum({value()}) FILTER (WHERE NOT {fits()})",
        high=f"sum(CAST({value()} AS INTEGER) >> 32) FILTER (WHERE {fits()})",
        low=f"sum(CAST({value()} AS INTEGER) & 4294967295) FILTER (WHERE {fits()})",
    )
