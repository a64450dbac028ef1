"""Ledger entry, tranche, void, withdrawal, funding-need and strategy forms."""

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

from crm.core.forms import BaseForm, MultiCheckboxField, SubForm, choices
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.funding.models import Category, Kind, NeedStatus, Purpose, Stage, StrategyStatus
from crm.money.forms import AmountField, CurrencyField
from crm.proposals.forms import optional_int


def enum_choices(cls):
    return choices((member.value, member.label) for member in cls)


class EntryDetailsForm(BaseForm):
    source_id = SelectField("Source", coerce=optional_int, validators=[Optional()], description="Who gives it.")
    category = SelectField("Category", validators=[DataRequired()])
    purpose = SelectField("Purpose", validators=[DataRequired()])
    purpose_detail = StringField(
        "Purpose in words",
        validators=[Optional(), Length(max=500)],
        description="e.g. the first Steering Committee meeting.",
    )
    stage = SelectField("Stage", validators=[DataRequired()])
    booked_on = DateField("Pledged or committed on", validators=[DataRequired(message="Give the date.")])
    expected_on = DateField(
        "Next tranche expected on",
        validators=[Optional()],
        description="Money still to come: shown in My work and calendar feeds until a tranche is recorded.",
    )
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=5000)], description="Required for goods, services and time."
    )
    unit = StringField("Unit", validators=[Optional(), Length(max=100)], description="interns, workstations...")
    valuation_method = StringField(
        "Valuation method", validators=[Optional(), Length(max=300)], description="market rent, day rate × days..."
    )
    valuation_evidence = TextAreaField("Valuation evidence", validators=[Optional(), Length(max=5000)])
    proposal_ids = SelectMultipleField("Came from proposals", coerce=int, validators=[Optional()])
    agreement_id = SelectField("Came from agreement", coerce=optional_int, validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def fill_choices(self, sources, proposals, agreements) -> None:
        self.source_id.choices = choices(sources, blank="— not recorded —")
        self.category.choices = enum_choices(Category)
        self.purpose.choices = enum_choices(Purpose)
        self.stage.choices = enum_choices(Stage)
        self.proposal_ids.choices = choices(proposals)
        self.agreement_id.choices = choices(agreements, blank="—")


class EntryForm(EntryDetailsForm):
    centre_id = SelectField("Centre", coerce=optional_int, validators=[DataRequired(message="Choose the centre.")])
    kind = SelectField("Kind", validators=[DataRequired()])
    amount = AmountField(
        "Amount or valuation",
        currency_field="currency",
        description="For goods, services and time: the valuation, if any.",
    )
    currency = CurrencyField("Currency", [Optional()], blank="—")
    quantity = AmountField(
        "Quantity", measure="quantity", description="For goods, services and time: 7 (interns), 3 (workstations)..."
    )

    def fill_choices(self, sources, proposals, agreements, centres=()) -> None:
        super().fill_choices(sources, proposals, agreements)
        self.centre_id.choices = choices(centres)
        self.kind.choices = enum_choices(Kind)


class EntryEditForm(VersionMixin, EntryDetailsForm):
    pass


class TrancheForm(BaseForm):
    received_on = DateField("Received on", validators=[DataRequired(message="Give the date it was received.")])
    amount = AmountField("Amount received", currency_field="currency")
    currency = CurrencyField("Currency", [DataRequired(message="Choose the currency.")], blank="—")
    note = StringField("Note", validators=[Optional(), Length(max=1000)])
    confirm_over = BooleanField("Record it even if it is more than what is outstanding (it will be flagged)")


class VoidForm(BaseForm):
    reason = StringField(
        "Why it was a mistake",
        validators=[DataRequired(message="Say why it is voided."), Length(max=1000)],
        description="e.g. booked twice; wrong centre.",
    )


class WithdrawForm(BaseForm):
    withdrawn_on = DateField("Withdrawn on", validators=[DataRequired(message="Give the date it was withdrawn.")])
    amount = AmountField(
        "Amount withdrawn",
        description="Leave empty to withdraw everything still outstanding. Goods and time are withdrawn in full.",
    )
    reason = StringField(
        "What happened",
        validators=[DataRequired(message="Say what happened."), Length(max=1000)],
        description="e.g. the donor reduced its commitment in its letter of 3 March 2026.",
    )


class NeedForm(BaseForm):
    centre_id = SelectField("Centre", coerce=optional_int, validators=[DataRequired(message="Choose the centre.")])
    title = StringField("Needed for", validators=[DataRequired(), Length(max=300)])
    purpose = SelectField("Purpose", validators=[DataRequired()])
    status = SelectField("Status", validators=[DataRequired()])
    amount = AmountField("Estimate", currency_field="currency", description="Only if someone has estimated it.")
    currency = CurrencyField("Currency", [Optional()], blank="—")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

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
        "Source", validators=[Optional(), Length(max=300)], description='As the report names it: "local governments".'
    )
    categories = MultiCheckboxField(
        "Categories",
        choices=choices((c.value, c.label) for c in Category if c != Category.OTHER),
        validators=[Optional()],
    )


class StepRowForm(SubForm):
    id = HiddenField()
    action = TextAreaField(
        "Step",
        validators=[Optional(), Length(max=2000)],
        description="Written as it follows “the centre will …”: “apply for regional special funds …”.",
    )
    source = SelectField("For the source", validators=[Optional()])
    due = PartialDateField("Due by", validators=[Optional()])
    done = PartialDateField("Done", validators=[Optional()])


class StrategyForm(BaseForm):
    # The strategy's version when it exists (an edit made on a stale page is a conflict); empty for a new one.
    version = HiddenField()
    status = SelectField("Status", choices=enum_choices(StrategyStatus))
    adopted = PartialDateField("Adopted", validators=[Optional()], description="Only once it is adopted.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    sources = FieldList(FormField(SourceRowForm))
    steps = FieldList(FormField(StepRowForm))

    def fill_choices(self, labels: list[str]) -> None:
        """The sources a step may name: those saved, and those this form renames or adds."""
        typed = [" ".join((entry.form.label.data or "").split()) for entry in self.sources]
        labels = list(dict.fromkeys([*labels, *(label for label in typed if label)]))
        for entry in self.steps:
            entry.form.source.choices = choices(((label, label) for label in labels), blank="— (none)")
