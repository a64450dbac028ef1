"""Ledger entry, tranche, void, withdrawal, funding-need and strategy forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from crm.core.forms import BaseForm, MultiCheckboxField, SubForm, choices, enum_choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.funding.models import Category, Kind, NeedStatus, Purpose, Stage, StrategyStatus
from crm.money.forms import AmountField, CurrencyField
from crm.proposals.forms import optional_int


class EntryDetailsForm(BaseForm):
    source_id = SelectField(_l("Source"), coerce=optional_int, validators=[Optional()], description=_l("Who gives it."))
    category = SelectField(_l("Category"), validators=[DataRequired()])
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])
    purpose_detail = StringField(
        _l("Purpose in words"),
        validators=[Optional(), Length(max=500)],
        description=_l("e.g. the first Steering Committee meeting."),
    )
    stage = SelectField(_l("Stage"), validators=[DataRequired()])
    booked_on = DateField(_l("Pledged or committed on"), validators=[DataRequired(message=_l("Give the date."))])
    expected_on = DateField(
        _l("Next tranche expected on"),
        validators=[Optional()],
        description=_l("Money still to come: shown in My work and calendar feeds until a tranche is recorded."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Required for goods, services and time."),
    )
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=100)], description=_l("interns, workstations..."))
    valuation_method = StringField(
        _l("Valuation method"),
        validators=[Optional(), Length(max=300)],
        description=_l("market rent, day rate × days..."),
    )
    valuation_evidence = TextAreaField(_l("Valuation evidence"), validators=[Optional(), Length(max=5000)])
    proposal_ids = SelectMultipleField(_l("Came from proposals"), coerce=int, validators=[Optional()])
    agreement_id = SelectField(_l("Came from agreement"), coerce=optional_int, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def fill_choices(self, sources, proposals, agreements) -> None:
        self.source_id.choices = choices(sources, blank=_l("— not recorded —"))
        self.category.choices = enum_choices(Category)
        self.purpose.choices = enum_choices(Purpose)
        self.stage.choices = enum_choices(Stage)
        self.proposal_ids.choices = choices(proposals)
        self.agreement_id.choices = choices(agreements, blank="—")


class EntryForm(EntryDetailsForm):
    centre_id = SelectField(
        _l("Centre"), coerce=optional_int, validators=[DataRequired(message=_l("Choose the centre."))]
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    amount = AmountField(
        _l("Amount or valuation"),
        currency_field="currency",
        description=_l("For goods, services and time: the valuation, if any."),
    )
    currency = CurrencyField(_l("Currency"), [Optional()], blank="—")
    quantity = AmountField(
        _l("Quantity"),
        measure="quantity",
        description=_l("For goods, services and time: 7 (interns), 3 (workstations)..."),
    )

    def fill_choices(self, sources, proposals, agreements, centres=()) -> None:
        super().fill_choices(sources, proposals, agreements)
        self.centre_id.choices = choices(centres)
        self.kind.choices = enum_choices(Kind)


class EntryEditForm(VersionMixin, EntryDetailsForm):
    pass


class TrancheForm(BaseForm):
    received_on = DateField(_l("Received on"), validators=[DataRequired(message=_l("Give the date it was received."))])
    amount = AmountField(_l("Amount received"), currency_field="currency")
    currency = CurrencyField(_l("Currency"), [DataRequired(message=_l("Choose the currency."))], blank="—")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
    confirm_over = BooleanField(_l("Record it even if it is more than what is outstanding (it will be flagged)"))


class VoidForm(BaseForm):
    reason = StringField(
        _l("Why it was a mistake"),
        validators=[DataRequired(message=_l("Say why it is voided.")), Length(max=1000)],
        description=_l("e.g. booked twice; wrong centre."),
    )


class WithdrawForm(BaseForm):
    withdrawn_on = DateField(
        _l("Withdrawn on"), validators=[DataRequired(message=_l("Give the date it was withdrawn."))]
    )
    amount = AmountField(
        _l("Amount withdrawn"),
        description=_l("Leave empty to withdraw everything still outstanding. Goods and time are withdrawn in full."),
    )
    reason = StringField(
        _l("What happened"),
        validators=[DataRequired(message=_l("Say what happened.")), Length(max=1000)],
        description=_l("e.g. the donor reduced its commitment in its letter of 3 March 2026."),
    )


class NeedForm(BaseForm):
    centre_id = SelectField(
        _l("Centre"), coerce=optional_int, validators=[DataRequired(message=_l("Choose the centre."))]
    )
    title = StringField(_l("Needed for"), validators=[DataRequired(), Length(max=300)])
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])
    status = SelectField(_l("Status"), validators=[DataRequired()])
    amount = AmountField(_l("Estimate"), currency_field="currency", description=_l("Only if someone has estimated it."))
    currency = CurrencyField(_l("Currency"), [Optional()], blank="—")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def fill_choices(self, centres=()) -> None:
        if "centre_id" in self._fields:
            self.centre_id.choices = choices(centres)
        self.purpose.choices = enum_choices(Purpose)
        self.status.choices = enum_choices(NeedStatus)


class NeedEditForm(VersionMixin, NeedForm):
    centre_id = None  # a need stays with its centre


# The resource mobilisation strategy: its sources and steps are rows of one form (blank rows to add more).


class SourceRowForm(SubForm):
    id = HiddenField()
    label = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=300)],
        description=_l('As the report names it: "local governments".'),
    )
    categories = MultiCheckboxField(
        _l("Categories"),
        choices=enum_choices(c for c in Category if c != Category.OTHER),
        validators=[Optional()],
    )


class StepRowForm(SubForm):
    id = HiddenField()
    action = TextAreaField(
        _l("Step"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Written as it follows “the centre will …”: “apply for regional special funds …”."),
    )
    source = SelectField(_l("For the source"), validators=[Optional()])
    due = PartialDateField(_l("Due by"), validators=[Optional()])
    done = PartialDateField(_l("Done"), validators=[Optional()])


class StrategyForm(BaseForm):
    # The strategy's version when it exists (an edit made on a stale page is a conflict); empty for a new one.
    version = HiddenField()
    status = SelectField(_l("Status"), choices=enum_choices(StrategyStatus))
    adopted = PartialDateField(_l("Adopted"), validators=[Optional()], description=_l("Only once it is adopted."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    sources = FieldList(FormField(SourceRowForm))
    steps = FieldList(FormField(StepRowForm))

    def fill_choices(self, labels: list[str]) -> None:
        """The sources a step may name: those saved, and those this form renames or adds."""
        typed = [" ".join((entry.form.label.data or "").split()) for entry in self.sources]
        labels = list(dict.fromkeys([*labels, *(label for label in typed if label)]))
        for entry in self.steps:
            entry.form.source.choices = choices(((label, label) for label in labels), blank=_l("— (none)"))
