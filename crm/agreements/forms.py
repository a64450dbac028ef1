from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crm.agreements.models import AgreementKind, AgreementStatus, ReportArea
from crm.core.forms import BaseForm, choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField

STATUS_PAIRS = [(s.value, s.label) for s in AgreementStatus]
FUTURE_CONFIRMATION = "The date is right: record this step although it lies after today"


class AgreementForm(BaseForm):
    kind = SelectField("Kind", choices=choices((k.value, k.label) for k in AgreementKind))
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    report_area = SelectField(
        "Reported under",
        choices=choices(
            ((a.value, a.label) for a in ReportArea),
            blank="As its kind has it: host agreements and MoAs under area 1, others under area 3",
        ),
        validators=[Optional()],
        description="Area 1 tells the centre's own establishment; area 3 its partnerships.",
    )
    counterpart_ids = SelectMultipleField(
        "Counterparts", validators=[Optional()], description="Organisations of the directory."
    )
    responsible = StringField("Responsible person", validators=[Optional(), Length(max=200)])
    signed = PartialDateField("Signed", validators=[Optional()])
    signed_place = StringField(
        "Signed in", validators=[Optional(), Length(max=200)], description="Place of signature, e.g. Rome."
    )
    effective = PartialDateField("Effective from", validators=[Optional()])
    expiry = PartialDateField("Expires", validators=[Optional()])
    next_review = PartialDateField("Next review", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.counterpart_ids.choices = choices((o.id, o.display_name) for o in organisations)


class NewAgreementForm(AgreementForm):
    status = SelectField("Current status", choices=choices(STATUS_PAIRS))
    status_since = PartialDateField(
        "Status since", validators=[Optional()], description="Today if left empty. 2026-03 or March 2026 for a month."
    )
    step_note = TextAreaField("Note on this status", validators=[Optional(), Length(max=5000)])
    confirm_future = BooleanField(FUTURE_CONFIRMATION)


class AgreementEditForm(VersionMixin, AgreementForm):
    pass


class StepForm(BaseForm):
    status = SelectField("Status", choices=choices(STATUS_PAIRS))
    occurred = PartialDateField(
        "Date",
        validators=[InputRequired(message="Enter the date of this step.")],
        description="2026-03-17, or 2026-03 for a month.",
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])
    confirm_future = BooleanField(FUTURE_CONFIRMATION)


class StepEditForm(VersionMixin, StepForm):
    pass


class DocumentForm(BaseForm):
    title = StringField(
        "Document", validators=[DataRequired(), Length(max=200)], description="The same name again adds a new version."
    )
    file = FileField("File (PDF or Word .docx)")
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class AmendmentForm(BaseForm):
    title = StringField("Amendment", validators=[DataRequired(), Length(max=300)])
    agreed = PartialDateField("Agreed on", validators=[Optional()])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=5000)])
