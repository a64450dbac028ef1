"""Forms: the amount-plus-currency field every domain uses, manual rates, rate files.

Use in any domain's form::

    from crm.money.forms import money_form_field

    class GrantForm(FlaskForm):
        requested = money_form_field("Requested amount")                   # positive or zero
        adjustment = money_form_field("Adjustment", allow_negative=True)

    form.requested.form.money()      # -> Money, once the form validated
    FlaskForm(data={"requested": {"amount": grant.amount, "currency": grant.currency}})   # to edit

and in the template ``{% from "macros/money.html" import money_field %}{{ money_field(form.requested) }}``.
The amount refuses more decimals than the currency has (CNY 0.001, JPY 0.5) rather than
rounding; "RMB" is accepted as CNY; thousands separators (1,000,000 or 1 000 000) are read.
"""

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, Form, FormField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from crm.core.forms import choices
from crm.money.currencies import currency_choices, minor_units, normalise_currency
from crm.money.value import Money


class AmountField(DecimalField):
    """A decimal typed as people write it: spaces and thousands commas are dropped; never rounded."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].replace(",", "").replace(" ", "").replace("\u00a0", "")
        if raw == "":
            self.data = None
            return
        try:
            self.data = Decimal(raw)
        except InvalidOperation as error:
            self.data = None
            raise ValueError("Enter an amount such as 250000 or 1,250.50.") from error
        if not self.data.is_finite():
            self.data = None
            raise ValueError("Enter an amount such as 250000 or 1,250.50.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data.normalize(), "f")


class CurrencyField(SelectField):
    """An ISO 4217 currency; "RMB" (and lower case) submitted by hand is read as CNY."""

    def __init__(self, label="Currency", **kwargs):
        super().__init__(label, choices=choices(currency_choices()), **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = normalise_currency(valuelist[0])
            except ValueError:
                self.data = valuelist[0]


class MoneyForm(Form):
    amount = AmountField("Amount", places=None, validators=[InputRequired("Enter an amount.")])
    currency = CurrencyField(default="CNY")
    allow_negative = False

    def validate_amount(self, field):
        if field.data is None:
            return
        if field.data < 0 and not self.allow_negative:
            raise ValidationError("The amount cannot be negative.")
        try:
            digits = minor_units(normalise_currency(self.currency.data))
        except ValueError:
            return  # the currency field says what is wrong
        if -field.data.normalize().as_tuple().exponent > digits:
            unit = "whole units" if digits == 0 else f"{digits} decimal places"
            raise ValidationError(f"{self.currency.data} amounts have at most {unit}.")

    def money(self) -> Money:
        return Money(self.amount.data, self.currency.data)


class SignedMoneyForm(MoneyForm):
    allow_negative = True


def money_form_field(label: str, allow_negative: bool = False, **kwargs) -> FormField:
    return FormField(SignedMoneyForm if allow_negative else MoneyForm, label=label, **kwargs)


class ManualRateForm(FlaskForm):
    base = CurrencyField("1 unit of", default="USD")
    quote = CurrencyField("is worth this many units of", default="CNY")
    rate = AmountField("Rate", places=None, validators=[InputRequired("Enter the rate.")])
    effective_on = DateField("Effective from", validators=[InputRequired("Enter the date the rate applies from.")])
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired("Say why this rate is entered by hand."), Length(max=2000)],
        description="Shown wherever the rate is used, e.g. 'the rate stated in the grant letter of 3 March 2026'.",
    )

    def validate_rate(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError("A rate is a positive number.")
        if field.data is not None and -field.data.normalize().as_tuple().exponent > 10:
            raise ValidationError("A rate has at most 10 decimal places.")


class RateFileForm(FlaskForm):
    kind = SelectField("Kind of file", validators=[InputRequired()])
    file = FileField("File", validators=[FileRequired("Choose a file.")])

    def __init__(self, *args, **kwargs):
        from crm.money.services import FILE_KINDS

        super().__init__(*args, **kwargs)
        self.kind.choices = choices((key, label) for key, (label, _) in FILE_KINDS.items())


class ConfirmImportForm(FlaskForm):
    confirm_jumps = BooleanField("I have checked the flagged rates against the publication")
