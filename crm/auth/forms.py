from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from crm.auth.models import Role
from crm.core.forms import MultiCheckboxField, choices
from crm.core.locking import VersionMixin

ROLE_CHOICES = choices((role.value, role.label) for role in Role)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=200)])
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", "The two entries differ.")]
    )


# Locales offered for showing numbers and money; Babel formats each as its users expect.
LOCALES = choices(
    [("en", "English"), ("ru", "Русский"), ("zh_Hans_CN", "中文 (简体)"), ("fr", "Français"), ("es", "Español")]
)


class ProfileForm(VersionMixin, FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    locale = SelectField("Number and currency format", choices=LOCALES)


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    centres = MultiCheckboxField("Centres", coerce=str, description="Staff read and write these centres only.")
    active = BooleanField("Active", default=True)


class UserCreateForm(UserForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(min=12, max=200)], description="At least 12 characters."
    )


class UserEditForm(VersionMixin, UserForm):
    pass


class ResetRequestForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=12, max=200, message="Use at least 12 characters, and at most 200.")],
    )
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", "The two entries differ.")]
    )
