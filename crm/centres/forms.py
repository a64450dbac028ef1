from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from crm.centres.services import country_choices
from crm.core.forms import BaseForm, choices
from crm.core.locking import VersionMixin
from crm.money.currencies import currency_choices


class CentreForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and - only.")),
        ],
        description=_l("Short and stable, e.g. TSCC-CA."),
    )
    name = StringField(
        lazy_pgettext("the name of an organisation or a centre", "Name"), validators=[DataRequired(), Length(max=300)]
    )
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=100)])
    host_institution = StringField(_l("Host institution"), validators=[DataRequired(), Length(max=300)])
    host_country = SelectField(
        _l("Host country"), validators=[Optional()], description=_l("Experts are domestic or foreign relative to it.")
    )
    launched_on = DateField(_l("Official launch date"), validators=[Optional()])
    reporting_currency = SelectField(_l("Reporting currency"), validators=[DataRequired()])
    parties = SelectMultipleField(_l("Parties served"), description=_l("Countries (ISO 3166)."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = country_choices()
        self.host_country.choices = choices(countries, blank="—")
        self.parties.choices = choices(countries)
        self.reporting_currency.choices = choices(currency_choices())


class CentreEditForm(VersionMixin, CentreForm):
    pass


class PeriodForm(BaseForm):
    label = StringField(
        _l("Label"),
        validators=[DataRequired(), Length(max=50)],
        description=_l("As the report names it, e.g. 2025-2026."),
    )
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
