from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core.forms import BaseForm, SubForm, choices
from crm.core.locking import VersionMixin
from crm.reports.section import STATUS_CHOICES

# Generous: a text far over the indicative word count is flagged, not refused; this only stops abuse.
TEXT_LIMIT = 20000


class OutputRowForm(SubForm):
    id = HiddenField()
    title = StringField("Output", validators=[Optional(), Length(max=300)])
    status = SelectField("Status", choices=choices(STATUS_CHOICES))
    details = TextAreaField("Details", validators=[Optional(), Length(max=TEXT_LIMIT)])


def text_area(label: str, description: str = "") -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT_LIMIT)], description=description)


class SectionForm(VersionMixin, BaseForm):
    outcome = text_area("Outcome 3", "The outcome statement from the workplan.")
    outputs = FieldList(FormField(OutputRowForm))
    worked_well = text_area("What worked well", "Separate points with a blank line.")
    challenges = text_area("Challenges")
    solutions = text_area("Possible solutions")
    key_figures = text_area("Part III key achievement", "With both qualitative and quantitative metrics.")


class AddRowForm(BaseForm):
    title = StringField("New output", validators=[DataRequired(), Length(max=300)])


class VersionForm(VersionMixin, BaseForm):
    """Submitting or redrafting acts on the version the user looked at."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RedraftForm(VersionMixin, BaseForm):
    accept = MultiCheckboxField("Replace with the new draft", validate_choice=True)
