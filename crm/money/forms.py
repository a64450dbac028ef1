"""Forms: the one field for amounts, rates and quantities every domain uses; manual rates, rate files.

Use in any domain's form::

    from crm.money.forms import AmountField, CurrencyField

    class GrantForm(BaseForm):
        requested_amount = AmountField(_l("Requested amount"), currency_field="requested_currency")
        requested_currency = CurrencyField(_l("Currency"), blank="—")
        rate = AmountField(_l("Rate"), measure="rate")

The field reads what the user's locale writes ("7,2" and "1 234,50" in Russian), refuses what could be
read two ways, exponents and letters with a message that shows how it was read, and checks the bounds of
``crm.money.amounts``: the currency's ISO 4217 minor units (from the form's ``currency_field``), the largest
amount, rate or quantity storage keeps. Anything a user types gives a message beside the field, never a 500.
"""

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, Field, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from crm.core.forms import BaseForm, choices
from crm.money.amounts import AmountError, check_amount, check_quantity, check_rate, read_amount, written
from crm.money.currencies import currency_choices, normalise_currency
from crm.money.display import user_locale

MEASURES = ("amount", "rate", "quantity")


class AmountField(Field):
    """An amount of money (``measure="amount"``), an exchange rate or a quantity, typed as the user writes it."""

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        measure: str = "amount",
        currency_field: str | None = None,
        allow_zero: bool = False,
        allow_negative: bool = False,
        **kwargs,
    ):
        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}")
        render_kw = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"} | (
            kwargs.pop("render_kw", None) or {}
        )
        super().__init__(label, validators if validators is not None else [Optional()], render_kw=render_kw, **kwargs)
        self.measure = measure
        self.currency_field = currency_field
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0] or ""
        if not raw.strip():
            self.data = None
            return
        try:
            self.data = read_amount(raw, user_locale(), allow_negative=self.allow_negative)
        except AmountError as error:
            self.data = None
            raise ValueError(str(error)) from None

    def process_data(self, value):
        """A stored value (Decimal), or an initial one given as text or a number."""
        if value is None or isinstance(value, Decimal):
            self.data = value
            return
        try:
            self.data = Decimal(str(value)) if str(value).strip() else None
        except InvalidOperation:
            self.data = None

    def pre_validate(self, form):
        if self.data is None:
            return
        try:
            self.data = self._check(self.data, form)
        except AmountError as error:
            raise ValidationError(str(error)) from None

    def _check(self, value: Decimal, form) -> Decimal:
        what = _("The %(field)s", field=self.label.text.lower()) if self.label else _("The amount")
        if self.measure == "rate":
            return check_rate(value, what)
        if self.measure == "quantity":
            return check_quantity(value, what, allow_zero=self.allow_zero)
        return check_amount(
            value,
            self._currency(form),
            allow_zero=self.allow_zero,
            allow_negative=self.allow_negative,
            what=what,
        )

    def _currency(self, form) -> str | None:
        """The currency chosen beside the amount; None when there is none (its own field says what is wrong)."""
        field = form[self.currency_field] if self.currency_field and self.currency_field in form else None
        try:
            return normalise_currency(field.data) if field is not None and field.data else None
        except ValueError:
            return None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return written(self.data, user_locale())


class CurrencyField(SelectField):
    """A current ISO 4217 currency, the centres' own first; "RMB" (and lower case) submitted by hand is CNY."""

    def __init__(self, label=_l("Currency"), validators=None, *, blank: str | None = None, **kwargs):
        super().__init__(label, validators, choices=choices(currency_choices(), blank=blank), **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = normalise_currency(valuelist[0]) if valuelist[0] else ""
            except ValueError:
                self.data = valuelist[0]


SCOPES = choices(
    (
        ("network", _l("Every amount of this pair, between two dates")),
        ("entry", _l("One ledger entry only (e.g. the rate stated in its grant letter)")),
        ("agreement", _l("The entries of one agreement only")),
    )
)


class ManualRateForm(BaseForm):
    base = CurrencyField(_l("1 unit of"), default="USD")
    quote = CurrencyField(_l("is worth this many units of"), default="CNY")
    rate = AmountField(_l("Rate"), measure="rate", validators=[InputRequired(_l("Enter the rate."))])
    scope = SelectField(_l("What it converts"), choices=SCOPES, default="network")
    effective_on = DateField(
        _l("Effective from"),
        validators=[InputRequired(_l("Enter the date the rate applies from."))],
        description=_l("For one entry or agreement: the date of the letter or agreement that states it."),
    )
    valid_until = DateField(
        _l("Until"),
        validators=[Optional()],
        description=_l("For every amount: the last day it converts (a UN or ECB rate applies outside this range)."),
    )
    entry_id = IntegerField(
        _l("Ledger entry number"), validators=[Optional()], description=_l("The number in its address.")
    )
    agreement_id = SelectField(_l("Agreement"), validators=[Optional()], validate_choice=False)
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(_l("Say why this rate is entered by hand.")), Length(max=2000)],
        description=_l("Shown wherever the rate is used, e.g. 'the rate stated in the grant letter of 3 March 2026'."),
    )


class RateFileForm(BaseForm):
    kind = SelectField(_l("Kind of file"), validators=[InputRequired()])
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])

    def __init__(self, *args, **kwargs):
        from crm.money.services import FILE_KINDS

        super().__init__(*args, **kwargs)
        self.kind.choices = choices((key, label) for key, (label, _) in FILE_KINDS.items())


class ConfirmImportForm(BaseForm):
    confirm_jumps = BooleanField(_l("I have checked the flagged rates against the publication"))
