"""Form helpers shared by every domain."""

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs, optionally led by a blank option."""
    options = [SelectChoice(str(value), label) for value, label in pairs]
    return ([SelectChoice("", blank)] if blank is not None else []) + options
