from flask_babel import lazy_gettext as _l
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

from crm.core.forms import BaseForm, MultiCheckboxField, SubForm, choices, enum_choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.reports.models import ChallengeArea
from crm.reports.section import STATUS_CHOICES

# Generous: a text far over the indicative word count is flagged, not refused; this only stops abuse.
TEXT_LIMIT = 20000


class OutputRowForm(SubForm):
    id = HiddenField()
    title = StringField(
        _l("Output"), validators=[DataRequired(message=_l("Every output needs a title.")), Length(max=300)]
    )
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES))
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    position = IntegerField(
        _l("Place in the table"), validators=[Optional(), NumberRange(min=1, max=200, message=_l("A place from 1 on."))]
    )
    hidden = BooleanField(_l("Leave this row out of the report"))


def text_area(label, description="") -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT_LIMIT)], description=description)


class SectionForm(VersionMixin, BaseForm):
    outcome = text_area(_l("Outcome 3"), _l("The outcome statement from the workplan."))
    outputs = FieldList(FormField(OutputRowForm))
    worked_well = text_area(_l("What worked well"), _l("Separate points with a blank line."))
    challenges = text_area(_l("Challenges"))
    solutions = text_area(_l("Possible solutions"))
    key_figures = text_area(_l("Part III key achievement"), _l("With both qualitative and quantitative metrics."))


class AddRowForm(BaseForm):
    title = StringField(_l("New output"), validators=[DataRequired(), Length(max=300)])


class VersionForm(VersionMixin, BaseForm):
    """Acting on the version the user looked at."""


class SubmitForm(VersionMixin, BaseForm):
    filed_on = DateField(
        _l("Date filed"),
        validators=[Optional()],
        description=_l("The day the report was filed with the GCE; today if left empty."),
    )
    # Submitting cannot be undone: the revision is frozen as reported (a new revision starts from its words).
    confirm = BooleanField(
        _l("I have read this revision: freeze it as reported"),
        validators=[DataRequired(message=_l("Tick the box to confirm: a submitted revision can no longer be edited."))],
    )


class RedraftForm(VersionMixin, BaseForm):
    accept = MultiCheckboxField(_l("Bring in from the records"), validate_choice=True)


class FillForm(BaseForm):
    report = FileField(
        _l("Your Word report (.docx)"),
        description=_l(
            "The report file you will submit, made from the TSCC reporting template. Area 3 and the Part III "
            "achievement on partnerships are filled in; every other paragraph, table and tracked change stays as it is."
        ),
    )


class ChallengeForm(BaseForm):
    area = SelectField(_l("Area"), choices=enum_choices(ChallengeArea))
    challenge = TextAreaField(
        _l("Challenge"),
        validators=[DataRequired(message=_l("Say what the challenge is.")), Length(max=5000)],
        description=_l("As the report should say it; the report opens it with “In terms of …” unless you do."),
    )
    solution = TextAreaField(_l("Possible solution"), validators=[Optional(), Length(max=5000)])
    noted = PartialDateField(_l("Noted"), validators=[Optional()], description=_l("Today if left empty."))
    resolved = PartialDateField(
        _l("Resolved"), validators=[Optional()], description=_l("Once resolved, it no longer counts in later periods.")
    )


class ChallengeEditForm(VersionMixin, ChallengeForm):
    pass
