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
from ..services.reporting.audit_log import action_choices
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
    # The order is changed with the list's Move up / Move down buttons; new ones go last.
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
        InputRequired(message="Enter a number of hours (0 or more)."),
        NumberRange(min=0, max=MAX_SLA_HOURS, message=f"Use 0 to {MAX_SLA_HOURS} hours.")])


def _minutes(label: str):
    return IntegerField(label, default=0, validators=[
        Optional(), NumberRange(min=0, max=59, message="Use 0 to 59 minutes.")])


SLA_KINDS = ("first_response", "resolution")


class SlaForm(FlaskForm):
    """Per priority and target: <priority>_<kind> (hours) and <priority>_<kind>_minutes.
    Stored as minutes."""

    def targets(self) -> dict[str, tuple[int, int]]:
        return {p.value: tuple(self.minutes(p, kind) for kind in SLA_KINDS) for p in Priority}

    def minutes(self, priority, kind: str) -> int:
        hours = self[f"{priority.value}_{kind}"].data or 0
        return hours * 60 + (self[f"{priority.value}_{kind}_minutes"].data or 0)

    def rows(self):
        return [(p, *((self[f"{p.value}_{kind}"], self[f"{p.value}_{kind}_minutes"])
                      for kind in SLA_KINDS)) for p in Priority]

    @staticmethod
    def initial(targets) -> dict:
        """Form data from stored minutes: {priority: (first, resolution)}."""
        data = {}
        for priority, values in targets.items():
            for kind, minutes in zip(SLA_KINDS, values, strict=True):
                if minutes is not None:
                    data[f"{priority.value}_{kind}"], data[f"{priority.value}_{kind}_minutes"] = \
                        divmod(minutes, 60)
        return data


for _priority in Priority:
    _name = PRIORITY_LABELS[_priority]
    for _kind, _text in zip(SLA_KINDS, ("first response", "resolution"), strict=True):
        setattr(SlaForm, f"{_priority.value}_{_kind}", _hours(f"{_name}: {_text}, hours"))
        setattr(SlaForm, f"{_priority.value}_{_kind}_minutes",
                _minutes(f"{_name}: {_text}, minutes"))


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
    action = SelectField("Action", validators=[Optional()],
                         choices=choices([("", "Any"), *action_choices()]))
    ticket = StringField("Ticket", validators=[Optional(), Length(max=32)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class DeleteTicketForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=500)],
                         description="Kept in the audit log with the deletion.")
