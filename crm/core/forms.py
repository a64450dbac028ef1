"""Form helpers shared by every domain."""

from collections.abc import Iterable

from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs, optionally led by a blank option."""
    options = [SelectChoice(str(value), label) for value, label in pairs]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


class MultiCheckboxField(SelectMultipleField):
    """A short multiple choice shown as checkboxes (a long one stays a select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def refuse(form, error, default: str) -> None:
    """Show a service's RuleError beside its field, or beside ``default`` when the form has no such field."""
    field = error.field if getattr(error, "field", None) and hasattr(form, error.field) else default
    getattr(form, field).errors.append(str(error))
