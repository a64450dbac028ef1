from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.core.forms import BaseForm, MultiCheckboxField, SubForm, choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.reports.models import ChallengeArea
from crm.reports.section import STATUS_CHOICES

# Generous: a text far over the indicative word count is flagged, not refused; this only stops abuse.
TEXT_LIMIT = 20000


class OutputRowForm(SubForm):
    id = HiddenField()
    title = StringField("Output", validators=[DataRequired(message="Every output needs a title."), Length(max=300)])
    status = SelectField("Status", choices=choices(STATUS_CHOICES))
    details = TextAreaField("Details", validators=[Optional(), Length(max=TEXT_LIMIT)])
    position = IntegerField(
        "Place in the table", validators=[Optional(), NumberRange(min=1, max=200, message="A place from 1 on.")]
    )
    hidden = BooleanField("Leave this row out of the report")


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
    """Acting on the version the user looked at."""


class SubmitForm(VersionMixin, BaseForm):
    filed_on = DateField(
        "Date filed",
        validators=[Optional()],
        description="The day the report was filed with the GCE; today if left empty.",
    )
    # Submitting cannot be undone: the revision is frozen as reported (a new revision starts from its words).
    confirm = BooleanField(
        "I have read this revision: freeze it as reported",
        validators=[DataRequired(message="Tick the box to confirm: a submitted revision can no longer be edited.")],
    )


class RedraftForm(VersionMixin, BaseForm):
    accept = MultiCheckboxField("Bring in from the records", validate_choice=True)


class FillForm(BaseForm):
    report = FileField(
        "Your Word report (.docx)",
        description="The report file you will submit, made from the TSCC reporting template. Area 3 and the Part III "
        "achievement on partnerships are filled in; every other paragraph, table and tracked change stays as it is.",
    )


class ChallengeForm(BaseForm):
    area = SelectField("Area", choices=choices((a.value, a.label) for a in ChallengeArea))
    challenge = TextAreaField(
        "Challenge",
        validators=[DataRequired(message="Say what the challenge is."), Length(max=5000)],
        description="As the report should say it; the report opens it with “In terms of …” unless you do.",
    )
    solution = TextAreaField("Possible solution", validators=[Optional(), Length(max=5000)])
    noted = PartialDateField("Noted", validators=[Optional()], description="Today if left empty.")
    resolved = PartialDateField(
        "Resolved", validators=[Optional()], description="Once resolved, it no longer counts in later periods."
    )


class ChallengeEditForm(VersionMixin, ChallengeForm):
    pass
