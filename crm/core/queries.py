"""Query pieces every list page shares."""

import sqlalchemy as sa


def sort_by(stmt: sa.Select, sort: str | None, columns: dict, default: str, tiebreak=()) -> sa.Select:
    """Order a list by its ``sort`` argument: a key of ``columns``, "-key" for descending.

    An unknown key falls back to ``default`` (which may itself be "-key"); ``tiebreak`` columns keep pages
    stable when the sort column has equal values.
    """
    requested = sort or default
    if requested.lstrip("-") not in columns:
        requested = default
    column = columns[requested.lstrip("-")]
    return stmt.order_by(column.desc() if requested.startswith("-") else column.asc(), *tiebreak)
