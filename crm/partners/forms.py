from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.centres.services import country_choices
from crm.core.forms import BaseForm, choices, contact_email_field, enum_choices
from crm.core.kmgbf import target_pairs
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.partners.models import InteractionKind, PartnershipRole, Stage


class OrganisationForm(BaseForm):
    name = StringField(
        lazy_pgettext("the name of an organisation or a centre", "Name"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("The name in English, as the organisation writes it."),
    )
    other_names = TextAreaField(
        _l("Names in other scripts"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One a line, as written (Chinese, Cyrillic...)."),
    )
    acronym = StringField(_l("Acronym"), validators=[Optional(), Length(max=40)])
    type_id = SelectField(_l("Type"), validators=[DataRequired(message=_l("Choose a type."))])
    country = SelectField(
        _l("Country"), validators=[Optional()], description=_l("Where it is based; empty for international bodies.")
    )
    website = StringField(
        _l("Website"), validators=[Optional(), Length(max=500)], description=_l("www.example.org or https://…")
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    create_anyway = BooleanField(_l("None of these is the same organisation: create a new entry"))

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.type_id.choices = choices(((t.id, t.shown_name) for t in types), blank="—")
        self.country.choices = choices(country_choices(), blank="—")


class OrganisationEditForm(VersionMixin, OrganisationForm):
    pass


class OrganisationTypeForm(BaseForm):
    name = StringField(_l("New type"), validators=[DataRequired(), Length(max=120)])
    plural_name = StringField(
        _l("Heading in reports"),
        validators=[Optional(), Length(max=120)],
        description=_l(
            'The plural a report lists partners of this type under, e.g. "Research institutes and universities".'
        ),
    )


class TypeHeadingForm(VersionMixin, BaseForm):
    plural_name = StringField(_l("Heading in reports"), validators=[Optional(), Length(max=120)])


def user_pairs(users):
    return [(u.id, u.name) for u in users]


class PartnershipForm(BaseForm):
    stage = SelectField(_l("Engagement stage"), choices=enum_choices(Stage))
    role = SelectField(
        _l("Role for the centre"),
        choices=enum_choices(PartnershipRole),
        description=_l(
            "The convention body and the host institution establish the centre (area 1 of the report): "
            "they are not counted among the partners developed (area 3)."
        ),
    )
    areas = TextAreaField(_l("Areas of cooperation"), validators=[Optional(), Length(max=5000)])
    targets = SelectMultipleField(_l("KMGBF targets"), choices=choices(target_pairs()), validators=[Optional()])
    owner_id = SelectField(_l("Owner"), validators=[Optional()], description=_l("Who at the centre looks after it."))
    next_step = StringField(_l("Next step"), validators=[Optional(), Length(max=500)])
    next_step_on = DateField(_l("Next step due on"), validators=[Optional()])
    engaged = PartialDateField(
        _l("Engaged since"),
        validators=[Optional()],
        description=_l("When the centre first engaged them: a day, a month (2025-06) or a year. Today if left empty."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = choices(user_pairs(owners), blank="—")


class NewPartnershipForm(PartnershipForm):
    organisation_id = SelectField(_l("Organisation"), validators=[DataRequired(message=_l("Choose an organisation."))])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices(((o.id, o.display_name) for o in organisations), blank="—")


class PartnershipEditForm(VersionMixin, PartnershipForm):
    pass


class ContactForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title or position"), validators=[Optional(), Length(max=200)])
    email = contact_email_field()
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=60)])
    languages = StringField(
        _l("Languages"), validators=[Optional(), Length(max=200)], description=_l("e.g. English, Chinese, Russian")
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])


class ContactEditForm(VersionMixin, ContactForm):
    pass


class InteractionForm(BaseForm):
    occurred_on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter the date as YYYY-MM-DD."))])
    kind = SelectField(_l("Kind"), choices=enum_choices(InteractionKind))
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=10000)])
    attendees = TextAreaField(_l("Attendees"), validators=[Optional(), Length(max=2000)])
    follow_up = TextAreaField(_l("Follow-up"), validators=[Optional(), Length(max=2000)])


class MergeForm(BaseForm):
    """Merge this entry (the duplicate) into the one chosen, which stays."""

    survivor_id = SelectField(
        _l("The entry that stays"), validators=[DataRequired(message=_l("Choose the entry that stays."))]
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor_id.choices = choices(((o.id, o.display_name) for o in organisations), blank="—")
