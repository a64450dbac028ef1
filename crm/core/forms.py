"""Form helpers shared by every domain, and the base class of every form."""

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core.text import clean_text, has_nul


def choices(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs, optionally led by a blank option."""
    options = [SelectChoice(str(value), label) for value, label in pairs]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


class MultiCheckboxField(SelectMultipleField):
    """A short multiple choice shown as checkboxes (a long one stays a select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def refuse_nul(form, field) -> None:
    # The raw input: a field may turn its text into something else (a partial date) before validating.
    if any(isinstance(value, str) and has_nul(value) for value in field.raw_data or ()):
        raise ValidationError(
            "This text holds a NUL character (often the sign of a binary file pasted in), which cannot be "
            "stored: type or paste the text again."
        )


def _line_filter(value):
    return clean_text(value, multiline=False) if isinstance(value, str) else value


def _text_filter(value):
    return clean_text(value, multiline=True) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """The base of every form: each text field keeps only what every engine and export holds (crm.core.text).

    Applied when a field is bound, so a field added to any form later is covered without a thought.
    Passwords are left exactly as typed (they are hashed, never shown or exported).
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                text_filter = _text_filter if issubclass(field_class, TextAreaField) else _line_filter
                options["filters"] = (text_filter, *options.get("filters", unbound_field.kwargs.get("filters", ())))
                validators = options.get("validators", unbound_field.kwargs.get("validators")) or ()
                options["validators"] = (refuse_nul, *validators)
            return unbound_field.bind(form=form, **options)


def refuse(form, error, default: str) -> None:
    """Show a service's RuleError beside its field, or beside ``default`` when the form has no such field."""
    field = error.field if getattr(error, "field", None) and hasattr(form, error.field) else default
    getattr(form, field).errors.append(str(error))
