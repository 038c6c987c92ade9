"""Admin console forms. They validate input only; the services decide and write."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import PRIORITY_LABELS, WEBHOOK_EVENTS, Priority
from ..services.catalog.admin import MAX_SLA_HOURS
from ..services.catalog.settings import MAX_AUTOCLOSE_DAYS, PREFIX_PATTERN
from ..validators import NumberRange
from ..web import choices, optional_id


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = StringField("Description", validators=[Optional(), Length(max=255)])
    default_team_id = SelectField("Default team", coerce=optional_id, validators=[Optional()],
                                  description="New tickets in this category go to this team.")
    position = IntegerField("Order", default=0,
                            validators=[Optional(), NumberRange(min=0, max=9999)],
                            description="Lower numbers are listed first.")
    active = BooleanField("Active (offered on the new-ticket form)", default=True)
    mail_address = EmailField("Mail address", validators=[
        Optional(), Length(max=254), Email(message="Enter an address like billing@example.com.")],
        description="Mail to this address opens tickets in this category.")


class TeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = StringField("Description", validators=[Optional(), Length(max=255)])


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    domains = TextAreaField("E-mail domains", validators=[Optional(), Length(max=5000)],
                            render_kw={"rows": 4},
                            description="One per line or separated by commas, e.g. "
                            "example.com. New customers with an address there join.")
    shares_tickets = BooleanField("Members see each other's tickets",
                                  description="They can read and answer their colleagues' "
                                  "tickets (never internal notes). Off by default.")


class OrganizationMembersForm(FlaskForm):
    emails = TextAreaField("E-mail addresses", validators=[
        DataRequired("Enter the e-mail address of a customer."), Length(max=20000)],
        render_kw={"rows": 3},
        description="Customers' addresses, one per line or separated by commas.")


class WebhookForm(FlaskForm):
    url = URLField("URL", validators=[DataRequired(), Length(max=2000)],
                   description="Where to POST the events (https:// recommended).")
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    events = MultiCheckboxField("Events", choices=choices((e, e) for e in WEBHOOK_EVENTS),
                                validators=[DataRequired("Choose at least one event.")])
    include_internal = BooleanField(
        "Include internal notes",
        description="message.created for internal notes too. Only for receivers your "
        "staff alone can read.")
    active = BooleanField("Active", default=True)


class MembersForm(FlaskForm):
    members = MultiCheckboxField("Members", coerce=int)


class AgentTeamsForm(FlaskForm):
    teams = MultiCheckboxField("Teams", coerce=int)


class FaqForm(FlaskForm):
    question = StringField("Question", validators=[DataRequired(), Length(max=300)])
    answer = TextAreaField("Answer", validators=[DataRequired(), Length(max=20000)])
    category_id = SelectField("Category", coerce=optional_id, validators=[Optional()])
    position = IntegerField("Order", default=0,
                            validators=[Optional(), NumberRange(min=0, max=9999)],
                            description="Lower numbers are listed first.")
    published = BooleanField("Published (shown on the public FAQ)", default=True)


class CannedReplyForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    body = TextAreaField("Text", validators=[DataRequired(), Length(max=20000)])


def _hours(label: str):
    return IntegerField(label, validators=[
        InputRequired(message="Enter a number of hours."),
        NumberRange(min=1, max=MAX_SLA_HOURS, message=f"Use 1 to {MAX_SLA_HOURS} hours.")])


class SlaForm(FlaskForm):
    """One pair of fields per priority: <priority>_first_response, <priority>_resolution."""

    def targets(self) -> dict[str, tuple[int, int]]:
        return {p.value: (self[f"{p.value}_first_response"].data,
                          self[f"{p.value}_resolution"].data) for p in Priority}

    def rows(self):
        return [(p, self[f"{p.value}_first_response"], self[f"{p.value}_resolution"])
                for p in Priority]


for _priority in Priority:
    _name = PRIORITY_LABELS[_priority]
    setattr(SlaForm, f"{_priority.value}_first_response",
            _hours(f"{_name}: first response (hours)"))
    setattr(SlaForm, f"{_priority.value}_resolution", _hours(f"{_name}: resolution (hours)"))


class SettingsForm(FlaskForm):
    ticket_prefix = StringField("Ticket number prefix", validators=[
        DataRequired(), Regexp(PREFIX_PATTERN.pattern + "$",
                               message="Use 1 to 12 letters, digits, - or _, e.g. TKT-.")],
        description="Used for new tickets only, e.g. TKT- gives TKT-000042.")
    autoclose_days = IntegerField("Auto-close resolved tickets after (days)", validators=[
        InputRequired(message="Enter a number of days (0 turns auto-close off)."),
        NumberRange(min=0, max=MAX_AUTOCLOSE_DAYS,
                    message=f"Use 0 (off) to {MAX_AUTOCLOSE_DAYS} days.")],
        description="0 turns auto-close off.")


class CustomerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=100)],
                    description="Name or e-mail address")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("Actor", validators=[Optional(), Length(max=254)],
                        description="Name or e-mail; “system” for automatic changes")
    action = StringField("Action", validators=[Optional(), Length(max=40)])
    ticket = StringField("Ticket", validators=[Optional(), Length(max=32)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class DeleteTicketForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=500)],
                         description="Kept in the audit log with the deletion.")
