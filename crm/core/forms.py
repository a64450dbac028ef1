"""Form helpers shared by every domain, and the base class of every form."""

from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, PasswordField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError
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


def enum_choices(members: Iterable, blank: str | None = None) -> Callable[[], list[SelectChoice]]:
    """Choices of enum members (value, label), labelled when a form is built, in its reader's language: a list
    made when the module is imported would keep the labels of the language the app started in."""
    members = list(members)
    return lambda: choices(((member.value, member.label) for member in members), blank=blank)


def contact_email_field() -> StringField:
    """A person's e-mail address, optional, as a partner's contact or an expert gives it (the longest address
    SMTP carries)."""
    return StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(message=_l("Enter an e-mail address such as name@example.org.")),
            Length(max=254),
        ],
    )


def refuse_nul(form, field) -> None:
    # The raw input: a field may turn its text into something else (a partial date) before validating.
    if any(isinstance(value, str) and has_nul(value) for value in field.raw_data or ()):
        raise ValidationError(
            _(
                "This text holds a NUL character (often the sign of a binary file pasted in), which cannot be "
                "stored: type or paste the text again."
            )
        )


def _line_filter(value):
    return clean_text(value, multiline=False) if isinstance(value, str) else value


def _text_filter(value):
    return clean_text(value, multiline=True) if isinstance(value, str) else value


class TextRules:
    """Form Meta: each text field keeps only what every engine and export holds (crm.core.text).

    Applied when a field is bound, so a field added to any form later is covered without a thought.
    Passwords are left exactly as typed (they are hashed, never shown or exported).
    """

    def bind_field(self, form, unbound_field, options):
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            text_filter = _text_filter if isinstance(field, TextAreaField) else _line_filter
            field.filters = (text_filter, *field.filters)
            field.validators = [refuse_nul, *field.validators]
        return field


class BaseForm(FlaskForm):
    """The base of every form: CSRF (Flask-WTF) and the text rules."""

    class Meta(TextRules):
        pass


class SubForm(Form):
    """The base of a form repeated inside another (FormField, FieldList rows): the text rules, no CSRF of its own."""

    class Meta(TextRules):
        pass


def refuse(form, error, default: str) -> None:
    """Show a service's RuleError beside its field, or beside ``default`` when the form has no such field."""
    field = error.field if getattr(error, "field", None) and hasattr(form, error.field) else default
    getattr(form, field).errors.append(str(error))
