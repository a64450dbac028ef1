from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from crm.auth.models import Role
from crm.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PASSWORD_RULE
from crm.core.forms import BaseForm, MultiCheckboxField, choices, enum_choices
from crm.core.i18n import LANGUAGES
from crm.core.locking import VersionMixin


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    # A cap far above any real password: a megabyte pasted in is refused before it is hashed.
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=PASSWORD_RULE,
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two entries differ."))],
    )


# Locales offered for showing numbers and money; Babel formats each as its users expect. Empty: as the language.
LOCALES = choices(
    [("en", "English"), ("ru", "Русский"), ("zh_Hans_CN", "中文 (简体)"), ("fr", "Français"), ("es", "Español")],
    blank=_l("As the language"),
)
# Each language in its own words: someone who cannot read the current one still finds theirs.
LANGUAGE_CHOICES = choices(LANGUAGES.items(), blank=_l("As my browser asks"))


class ProfileForm(VersionMixin, BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    locale = SelectField(_l("Number and currency format"), choices=LOCALES)


class UserForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=enum_choices(Role))
    centres = MultiCheckboxField(_l("Centres"), coerce=str, description=_l("Staff read and write these centres only."))
    active = BooleanField(_l("Active"), default=True)


class UserCreateForm(UserForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=PASSWORD_RULE,
    )


class UserEditForm(VersionMixin, UserForm):
    pass


class ResetRequestForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(BaseForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=12, max=200, message=_l("Use at least 12 characters, and at most 200.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two entries differ."))],
    )
