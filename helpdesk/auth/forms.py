"""Forms validate input; they never touch the database."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Regexp, ValidationError

from ..web import choices

PASSWORD_MIN = 8


def _password(label: str = "Password"):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=PASSWORD_MIN, max=128,
                               message=f"Use at least {PASSWORD_MIN} characters.")],
        description=f"At least {PASSWORD_MIN} characters.")


def _email():
    return EmailField("Email", validators=[
        DataRequired(), Length(max=254),
        Email(message="Enter a valid e-mail address, like name@example.com.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    remember = BooleanField("Keep me signed in")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = _email()
    password = _password()


class AgentApplicationForm(RegisterForm):
    contact_number = StringField("Contact number", validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^\+?[0-9 ()./-]{5,40}$",
               message="Use digits, spaces and + ( ) - only, e.g. +44 20 7946 0000.")])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = _password("New password")


class ResetRequestForm(FlaskForm):
    email = _email()


class NewPasswordForm(FlaskForm):
    new_password = _password("New password")


class ChangeEmailForm(FlaskForm):
    new_email = EmailField("New email", validators=[
        DataRequired(), Length(max=254),
        Email(message="Enter a valid e-mail address, like name@example.com.")])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)],
                             description="Your current password, to confirm it is you.")


class MailPreferencesForm(FlaskForm):
    """The checkboxes are drawn from services.mail.preferences.events_for(user)."""
    events = SelectMultipleField("Mail me about", choices=[], validate_choice=True)


class ApiTokenForm(FlaskForm):
    """A personal API token: a name to recognise it by, what it may do, how long."""
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)],
                       description='What uses it, e.g. "Order system" or "My laptop".')
    read = BooleanField("Read", default=True,
                        description="See tickets, messages, files and statistics.")
    write = BooleanField("Write", description="Open, change and answer tickets.")
    expires = SelectField("Expires", default="90", choices=choices([
        ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"),
        ("never", "Never (until revoked)")]))

    def validate_write(self, field):
        if not (field.data or self.read.data):
            raise ValidationError("Choose read, write or both.")

    @property
    def scopes(self) -> list[str]:
        return [name for name in ("read", "write") if getattr(self, name).data]

    @property
    def expires_in_days(self) -> int | None:
        return None if self.expires.data == "never" else int(self.expires.data)


class TwoFactorForm(FlaskForm):
    """The second step of signing in, and the code that confirms enrolment."""
    code = StringField("Authentication code", validators=[DataRequired(), Length(max=20)],
                       description="The 6-digit code your authenticator app shows, or one "
                                   "of your recovery codes.")


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)],
                             description="Your current password, to confirm it is you.")
