"""Forms validate input; they never touch the database."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

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
