from functools import cache

import pycountry
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crm.centres.services import country_choices
from crm.core.forms import BaseForm, choices, contact_email_field, enum_choices
from crm.core.i18n import language_name, reading_locale
from crm.core.kmgbf import target_pairs
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.experts.models import Availability, EngagementBasis, PoolStatus, Vetting
from crm.extensions import db
from crm.money.forms import AmountField, CurrencyField
from crm.partners.models import Organisation

# The languages of the centres' Parties and the UN, first in the picker.
COMMON_LANGUAGES = ("eng", "rus", "zho", "fra", "spa", "ara", "kaz", "uzb", "kir", "tgk", "tuk", "hye", "aze", "bel")


def language_choices() -> list[tuple[str, str]]:
    """ISO 639 languages that have a two-letter code (the widely used ones), keyed by their ISO 639-3 code and
    named in the language being read."""
    return _language_choices(str(reading_locale()))


@cache
def _language_choices(locale: str) -> list[tuple[str, str]]:
    common = [(code, language_name(code, locale)) for code in COMMON_LANGUAGES]
    rest = sorted(
        (
            (lang.alpha_3, language_name(lang.alpha_3, locale))
            for lang in pycountry.languages
            if hasattr(lang, "alpha_2")
        ),
        key=lambda pair: pair[1],
    )
    return common + [pair for pair in rest if pair[0] not in COMMON_LANGUAGES]


def organisation_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.acronym)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name)
    )
    return [
        (str(oid), f"{name} ({acronym})" if acronym and acronym not in name else name) for oid, name, acronym in rows
    ]


class ExpertForm(BaseForm):
    centre_id = SelectField(_l("Centre"), validators=[Optional()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As the person writes it in Latin script."),
    )
    other_names = StringField(
        _l("Names in other scripts"),
        validators=[Optional(), Length(max=500)],
        description=_l("E.g. Chinese or Cyrillic; separate with ;"),
    )
    nationality = SelectField(
        _l("Nationality"),
        validators=[Optional()],
        validate_choice=False,
        description=_l("Decides domestic or foreign, against the centre's host country."),
    )
    residence_country = SelectField(_l("Country of residence"), validators=[Optional()], validate_choice=False)
    affiliation_id = SelectField(
        _l("Affiliation"),
        validators=[Optional()],
        validate_choice=False,
        description=_l("From the organisation directory."),
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    email = contact_email_field()
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=60)])
    contact_notes = TextAreaField(_l("Other contact details"), validators=[Optional(), Length(max=2000)])
    languages = SelectMultipleField(
        _l("Languages"), validate_choice=False, description=_l("ISO 639; hold Ctrl to choose several.")
    )
    targets = SelectMultipleField(_l("KMGBF targets"), validate_choice=False)
    themes = StringField(
        _l("Themes"), validators=[Optional(), Length(max=1000)], description=_l("Separate with commas.")
    )
    engagement_basis = SelectField(_l("Engagement basis"), validators=[InputRequired()], validate_choice=False)
    day_rate = AmountField(_l("Day rate"), currency_field="day_rate_currency", description=_l("Paid consultants only."))
    day_rate_currency = CurrencyField(_l("Currency of the day rate"), [Optional()], blank="—")
    provider_id = SelectField(
        _l("Provided by"),
        validators=[Optional()],
        validate_choice=False,
        description=_l("The partner organisation that provides the expert."),
    )
    availability = SelectField(_l("Availability"), validators=[InputRequired()], validate_choice=False)
    availability_until = DateField(
        _l("Until"), validators=[Optional()], description=_l("The day the availability above ends, if known.")
    )
    vetting = SelectField(_l("Vetting"), validators=[InputRequired()], validate_choice=False)
    pools = SelectMultipleField(_l("Pools"), validate_choice=False)
    listed = PartialDateField(
        _l("On the roster since"),
        validators=[Optional()],
        description=_l(
            "When the expert joined the centre's roster: a day, a month (2025-06) or a year. Today if empty."
        ),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, centres=(), pools=(), themes_in_use=(), **kwargs):
        super().__init__(*args, **kwargs)
        countries = country_choices()
        organisations = organisation_choices()
        self.centre_id.choices = choices((str(c.id), c.code) for c in centres)
        if len(centres) < 2:
            # Staff of one centre add to that centre: no choice to make.
            del self.centre_id
        self.nationality.choices = choices(countries, blank="—")
        self.residence_country.choices = choices(countries, blank="—")
        self.affiliation_id.choices = choices(organisations, blank="—")
        self.provider_id.choices = choices(organisations, blank="—")
        self.languages.choices = choices(language_choices())
        self.targets.choices = choices(target_pairs())
        self.engagement_basis.choices = enum_choices(EngagementBasis)
        self.availability.choices = enum_choices(Availability)
        self.vetting.choices = enum_choices(Vetting)
        self.pools.choices = choices(
            (str(p.id), f"{p.name} ({p.centre.code})" if len(centres) > 1 else p.name) for p in pools
        )
        if themes_in_use:
            self.themes.description = _("Separate with commas. In use: %(themes)s.", themes=", ".join(themes_in_use))


class ExpertEditForm(VersionMixin, ExpertForm):
    pass


class CvForm(BaseForm):
    cv = FileField(_l("CV (PDF or Word .docx)"))


class EngagementForm(BaseForm):
    activity = StringField(_l("Activity or proposal"), validators=[DataRequired(), Length(max=300)])
    started_on = DateField(_l("From"), validators=[DataRequired()])
    ended_on = DateField(_l("To"), validators=[Optional()])
    days_worked = AmountField(_l("Days worked"), [InputRequired()], measure="quantity", allow_zero=True)


class PoolForm(BaseForm):
    centre_id = SelectField(_l("Centre"), validators=[Optional()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], description=_l('E.g. "consultants".'))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    status = SelectField(
        _l("Status"),
        choices=enum_choices(PoolStatus),
        default=PoolStatus.ESTABLISHED.value,
        description=_l(
            "A list of people the centre could call on, not yet engaged, is not an established pool: "
            "the report says so."
        ),
    )

    def __init__(self, *args, centres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.centre_id.choices = choices((str(c.id), c.code) for c in centres)
        if len(centres) < 2:
            del self.centre_id


class PoolEditForm(VersionMixin, PoolForm):
    pass
