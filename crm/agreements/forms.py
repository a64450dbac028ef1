from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crm.agreements.models import AgreementKind, AgreementStatus, ReportArea
from crm.core.forms import BaseForm, choices, enum_choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField

FUTURE_CONFIRMATION = _l("The date is right: record this step although it lies after today")


class AgreementForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=enum_choices(AgreementKind))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    report_area = SelectField(
        _l("Reported under"),
        choices=enum_choices(
            ReportArea, blank=_l("As its kind has it: host agreements and MoAs under area 1, others under area 3")
        ),
        validators=[Optional()],
        description=_l("Area 1 tells the centre's own establishment; area 3 its partnerships."),
    )
    counterpart_ids = SelectMultipleField(
        _l("Counterparts"), validators=[Optional()], description=_l("Organisations of the directory.")
    )
    responsible = StringField(_l("Responsible person"), validators=[Optional(), Length(max=200)])
    signed = PartialDateField(_l("Signed"), validators=[Optional()])
    signed_place = StringField(
        _l("Signed in"), validators=[Optional(), Length(max=200)], description=_l("Place of signature, e.g. Rome.")
    )
    effective = PartialDateField(_l("Effective from"), validators=[Optional()])
    expiry = PartialDateField(_l("Expires"), validators=[Optional()])
    next_review = PartialDateField(_l("Next review"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.counterpart_ids.choices = choices((o.id, o.display_name) for o in organisations)


class NewAgreementForm(AgreementForm):
    status = SelectField(_l("Current status"), choices=enum_choices(AgreementStatus))
    status_since = PartialDateField(
        _l("Status since"),
        validators=[Optional()],
        description=_l("Today if left empty. 2026-03 or March 2026 for a month."),
    )
    step_note = TextAreaField(_l("Note on this status"), validators=[Optional(), Length(max=5000)])
    confirm_future = BooleanField(FUTURE_CONFIRMATION)


class AgreementEditForm(VersionMixin, AgreementForm):
    pass


class StepForm(BaseForm):
    status = SelectField(_l("Status"), choices=enum_choices(AgreementStatus))
    occurred = PartialDateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Enter the date of this step."))],
        description=_l("2026-03-17, or 2026-03 for a month."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    confirm_future = BooleanField(FUTURE_CONFIRMATION)


class StepEditForm(VersionMixin, StepForm):
    pass


class DocumentForm(BaseForm):
    title = StringField(
        _l("Document"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("The same name again adds a new version."),
    )
    file = FileField(_l("File (PDF or Word .docx)"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class AmendmentForm(BaseForm):
    title = StringField(_l("Amendment"), validators=[DataRequired(), Length(max=300)])
    agreed = PartialDateField(_l("Agreed on"), validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
