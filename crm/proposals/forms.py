"""Proposal, status-change, document and funding-mechanism forms."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.core.forms import BaseForm, choices, enum_choices
from crm.core.kmgbf import target_pairs
from crm.core.locking import VersionMixin
from crm.extensions import db
from crm.money.forms import AmountField, CurrencyField
from crm.partners.models import Organisation
from crm.proposals.models import FundingMechanism, MechanismKind, ProposalStatus

# The first option of a choice that must be made.
CHOOSE = _l("— choose —")


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def organisation_pairs() -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.acronym)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name)
    )
    return [(str(i), f"{name} ({acronym})" if acronym and acronym not in name else name) for i, name, acronym in rows]


def mechanism_pairs() -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(FundingMechanism.id, FundingMechanism.name, Organisation.acronym, Organisation.name)
        .join(Organisation, Organisation.id == FundingMechanism.funder_id)
        .order_by(Organisation.name, FundingMechanism.name)
    )
    return [(str(i), f"{name} — {acronym or funder}") for i, name, acronym, funder in rows]


class ProposalDetailsForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    funder_id = SelectField(
        _l("Funder"), coerce=optional_int, validators=[DataRequired(message=_l("Choose the funder."))]
    )
    mechanism_id = SelectField(
        _l("Programme or call"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("Must belong to the funder."),
    )
    co_applicant_ids = SelectMultipleField(_l("Co-applicants"), coerce=int, validators=[Optional()])
    partner_ids = SelectMultipleField(_l("Partners"), coerce=int, validators=[Optional()])
    kmgbf_targets = SelectMultipleField(_l("KMGBF targets"), coerce=int, validators=[Optional()])
    requested_amount = AmountField(_l("Requested amount"), currency_field="requested_currency")
    requested_currency = CurrencyField(_l("Currency of the request"), [Optional()], blank="—")
    deadline_on = DateField(_l("Deadline"), validators=[Optional()], description=_l("Feeds the deadlines ahead."))
    submitted_on = DateField(_l("Submitted on"), validators=[Optional()])
    decision_on = DateField(_l("Decision on"), validators=[Optional()])
    awarded_amount = AmountField(
        _l("Awarded amount"), currency_field="awarded_currency", description=_l("Only for an approved proposal.")
    )
    awarded_currency = CurrencyField(_l("Currency of the award"), [Optional()], blank="—")
    probability = IntegerField(
        _l("Probability of funding (%)"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("A percentage from 0 to 100."))],
        description=_l("Leave empty for the default of the status."),
    )
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def fill_choices(self, owners: list[tuple[str, str]]) -> None:
        organisations = organisation_pairs()
        self.funder_id.choices = choices(organisations, blank=CHOOSE)
        self.mechanism_id.choices = choices(mechanism_pairs(), blank="—")
        self.co_applicant_ids.choices = choices(organisations)
        self.partner_ids.choices = choices(organisations)
        self.kmgbf_targets.choices = choices(target_pairs())
        self.owner_id.choices = choices(owners, blank="—")


class ProposalForm(ProposalDetailsForm):
    centre_id = SelectField(
        _l("Centre"), coerce=optional_int, validators=[DataRequired(message=_l("Choose the centre."))]
    )
    status = SelectField(_l("Status"), validators=[DataRequired()])
    status_on = DateField(_l("Status since"), validators=[Optional()], description=_l("Today if left empty."))

    def fill_choices(self, owners, centres=()) -> None:
        super().fill_choices(owners)
        self.centre_id.choices = choices(centres)
        self.status.choices = enum_choices(ProposalStatus)


class ProposalEditForm(VersionMixin, ProposalDetailsForm):
    pass


class StatusForm(BaseForm):
    status = SelectField(_l("New status"), validators=[DataRequired(message=_l("Choose the new status."))])
    changed_on = DateField(_l("On"), validators=[DataRequired(message=_l("Give the date of the change."))])
    awarded_amount = AmountField(
        _l("Awarded amount"),
        currency_field="awarded_currency",
        description=_l("When approved, if the decision names an amount."),
    )
    awarded_currency = CurrencyField(_l("Currency"), [Optional()], blank="—")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def fill_choices(self, statuses) -> None:
        self.status.choices = enum_choices(statuses, blank=CHOOSE)


class DocumentForm(BaseForm):
    title = StringField(
        _l("Title"), validators=[Optional(), Length(max=300)], description=_l("The file name if left empty.")
    )
    file = FileField(_l("PDF or Word document"))


class MechanismForm(BaseForm):
    funder_id = SelectField(
        _l("Funder"), coerce=optional_int, validators=[DataRequired(message=_l("Choose the funder."))]
    )
    name = StringField(_l("Programme, call or fund"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    currency = CurrencyField(_l("Currency of its grants"), [Optional()], blank=_l("— not known —"))
    eligibility_notes = TextAreaField(_l("Eligibility"), validators=[Optional(), Length(max=5000)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=500)])

    def fill_choices(self) -> None:
        self.funder_id.choices = choices(organisation_pairs(), blank=CHOOSE)
        self.kind.choices = enum_choices(MechanismKind)


class MechanismEditForm(VersionMixin, MechanismForm):
    pass


class DeadlineForm(BaseForm):
    label = StringField(_l("What is due"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Due on"), validators=[DataRequired(message=_l("Give the deadline's date."))])
    is_yearly = BooleanField(_l("Every year on this day"))


class DeadlineEditForm(VersionMixin, DeadlineForm):
    pass
