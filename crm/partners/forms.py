from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from crm.centres.services import country_choices
from crm.core.forms import BaseForm, choices
from crm.core.kmgbf import target_pairs
from crm.core.locking import VersionMixin
from crm.core.partial_dates import PartialDateField
from crm.partners.models import InteractionKind, PartnershipRole, Stage


class OrganisationForm(BaseForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=300)],
        description="The name in English, as the organisation writes it.",
    )
    other_names = TextAreaField(
        "Names in other scripts",
        validators=[Optional(), Length(max=2000)],
        description="One a line, as written (Chinese, Cyrillic...).",
    )
    acronym = StringField("Acronym", validators=[Optional(), Length(max=40)])
    type_id = SelectField("Type", validators=[DataRequired(message="Choose a type.")])
    country = SelectField(
        "Country", validators=[Optional()], description="Where it is based; empty for international bodies."
    )
    website = StringField(
        "Website", validators=[Optional(), Length(max=500)], description="www.example.org or https://…"
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    create_anyway = BooleanField("None of these is the same organisation: create a new entry")

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.type_id.choices = choices(((t.id, t.name) for t in types), blank="—")
        self.country.choices = choices(country_choices(), blank="—")


class OrganisationEditForm(VersionMixin, OrganisationForm):
    pass


class OrganisationTypeForm(BaseForm):
    name = StringField("New type", validators=[DataRequired(), Length(max=120)])
    plural_name = StringField(
        "Heading in reports",
        validators=[Optional(), Length(max=120)],
        description="The plural a report lists partners of this type under, "
        'e.g. "Research institutes and universities".',
    )


class TypeHeadingForm(VersionMixin, BaseForm):
    plural_name = StringField("Heading in reports", validators=[Optional(), Length(max=120)])


def user_pairs(users):
    return [(u.id, u.name) for u in users]


class PartnershipForm(BaseForm):
    stage = SelectField("Engagement stage", choices=choices((s.value, s.label) for s in Stage))
    role = SelectField(
        "Role for the centre",
        choices=choices((r.value, r.label) for r in PartnershipRole),
        description="The convention body and the host institution establish the centre (area 1 of the report): "
        "they are not counted among the partners developed (area 3).",
    )
    areas = TextAreaField("Areas of cooperation", validators=[Optional(), Length(max=5000)])
    targets = SelectMultipleField("KMGBF targets", choices=choices(target_pairs()), validators=[Optional()])
    owner_id = SelectField("Owner", validators=[Optional()], description="Who at the centre looks after it.")
    next_step = StringField("Next step", validators=[Optional(), Length(max=500)])
    next_step_on = DateField("Next step due on", validators=[Optional()])
    engaged = PartialDateField(
        "Engaged since",
        validators=[Optional()],
        description="When the centre first engaged them: a day, a month (2025-06) or a year. Today if left empty.",
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = choices(user_pairs(owners), blank="—")


class NewPartnershipForm(PartnershipForm):
    organisation_id = SelectField("Organisation", validators=[DataRequired(message="Choose an organisation.")])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices(((o.id, o.display_name) for o in organisations), blank="—")


class PartnershipEditForm(VersionMixin, PartnershipForm):
    pass


class ContactForm(BaseForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    title = StringField("Title or position", validators=[Optional(), Length(max=200)])
    email = StringField(
        "E-mail",
        validators=[Optional(), Email(message="Enter an e-mail address such as name@example.org."), Length(max=254)],
    )
    phone = StringField("Phone", validators=[Optional(), Length(max=60)])
    languages = StringField(
        "Languages", validators=[Optional(), Length(max=200)], description="e.g. English, Chinese, Russian"
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class ContactEditForm(VersionMixin, ContactForm):
    pass


class InteractionForm(BaseForm):
    occurred_on = DateField("Date", validators=[DataRequired(message="Enter the date as YYYY-MM-DD.")])
    kind = SelectField("Kind", choices=choices((k.value, k.label) for k in InteractionKind))
    summary = TextAreaField("Summary", validators=[DataRequired(), Length(max=10000)])
    attendees = TextAreaField("Attendees", validators=[Optional(), Length(max=2000)])
    follow_up = TextAreaField("Follow-up", validators=[Optional(), Length(max=2000)])


class MergeForm(BaseForm):
    """Merge this entry (the duplicate) into the one chosen, which stays."""

    survivor_id = SelectField("The entry that stays", validators=[DataRequired(message="Choose the entry that stays.")])

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor_id.choices = choices(((o.id, o.display_name) for o in organisations), blank="—")
