"""Forms of the queue and the workspace. They check input; they never touch the database
(choices that come from data are filled in by the views)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    HiddenField,
    MultipleFileField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..models import PRIORITY_LABELS, STATUS_LABELS, Priority, Status
from ..portal.forms import NewTicketForm
from ..services.queue.filters import (
    DEFAULT_SORT,
    SORT_ALIASES,
    SORTS,
    QueueFilters,
    sort_value,
)
from ..web import choices, parse_id

STATUS_PAIRS = [(s.value, STATUS_LABELS[s]) for s in Status]
PRIORITY_PAIRS = [(p.value, PRIORITY_LABELS[p]) for p in reversed(Priority)]
ANY = ("", "Any")


class QueueFilterForm(FlaskForm):
    """The queue's filters: a GET form, so every view of the queue is a bookmarkable URL.
    `filtered` tells a submitted form (where an unticked "Open only" means all tickets)
    from a bare link (where open only is the default)."""
    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Optional(), Length(max=200)],
                    description="Number, subject, text, requester name or e-mail")
    status = SelectField("Status", choices=choices([ANY, *STATUS_PAIRS]), validators=[Optional()])
    priority = SelectField("Priority", choices=choices([ANY, *PRIORITY_PAIRS]),
                           validators=[Optional()])
    category = SelectField("Category", choices=choices([ANY]), validators=[Optional()])
    team = SelectField("Team", choices=choices([ANY]), validators=[Optional()])
    assignee = SelectField("Assignee", choices=choices([ANY]), validators=[Optional()])
    organization = SelectField("Organization", choices=choices([ANY]), validators=[Optional()])
    created_from = DateField("Created from", validators=[Optional()])
    created_to = DateField("Created to", validators=[Optional()])
    sort = SelectField("Sort by", choices=choices(SORTS.items()), default=DEFAULT_SORT,
                       validators=[Optional()])
    mine = BooleanField("Mine")
    unassigned = BooleanField("Unassigned")
    overdue = BooleanField("Overdue")
    open_only = BooleanField("Open only", default=True)
    filtered = HiddenField(default="1")

    def validate_created_to(self, field):
        if field.data and self.created_from.data and field.data < self.created_from.data:
            raise ValidationError("Pick a date on or after the 'Created from' date.")

    def prepare(self, formdata) -> None:
        """A bare link (no `filtered`) keeps the default: open tickets only."""
        if "filtered" not in formdata:
            self.open_only.data = True
        self.filtered.data = "1"

    def filters(self) -> QueueFilters:
        """The filters as checked; a value that failed its check is left out."""
        return QueueFilters(
            status=self.status.data if self.status.data in set(Status) else None,
            priority=self.priority.data if self.priority.data in set(Priority) else None,
            category_id=parse_id(self.category.data), team_id=parse_id(self.team.data),
            assignee_id=parse_id(self.assignee.data),
            organization_id=parse_id(self.organization.data), mine=bool(self.mine.data),
            unassigned=bool(self.unassigned.data), overdue=bool(self.overdue.data),
            open_only=bool(self.open_only.data), created_from=self.created_from.data,
            created_to=self.created_to.data, search=(self.q.data or "").strip(),
            sort=sort_value(self.sort.data))

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if self.sort.data in SORT_ALIASES:  # an old link: shown as today's name
            self.sort.data = sort_value(self.sort.data)


class BulkForm(FlaskForm):
    """Bulk actions over the ticked rows: one select of "kind:value" actions."""
    ticket_ids = SelectMultipleField("Tickets", coerce=int, validate_choice=False,
                                     validators=[DataRequired("Tick at least one ticket.")])
    bulk_action = SelectField("Bulk action", validate_choice=False,
                              validators=[DataRequired("Choose what to do.")])
    next = HiddenField()
    # "1" once the person confirmed (the page's confirm dialog, or the confirmation page
    # shown without JavaScript for what cannot be undone).
    confirmed = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField("Message", validators=[DataRequired("Write a message."),
                                                Length(max=20000)])
    attachments = MultipleFileField("Attachments")
    internal = BooleanField("Internal note",
                            description="Only agents and admins see internal notes.")


class StatusForm(FlaskForm):
    # The workflow (services), not the form, decides which targets are allowed.
    status = SelectField("Status", validate_choice=False, validators=[DataRequired()])


class PriorityForm(FlaskForm):
    priority = SelectField("Priority", choices=choices(PRIORITY_PAIRS), validate_choice=False,
                           validators=[DataRequired()])


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", validate_choice=False, validators=[Optional()])


class EscalateForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[
        DataRequired("Say why this ticket needs escalating."), Length(max=2000)],
        render_kw={"rows": 3})


class DetailsForm(FlaskForm):
    team = SelectField("Team", validate_choice=False, validators=[Optional()])
    category = SelectField("Category", validate_choice=False, validators=[Optional()])
    due_at = DateTimeLocalField("Due date", format="%Y-%m-%dT%H:%M",
                                validators=[Optional()],
                                description="UTC. Leave empty to use the SLA target.")
    tags = StringField("Tags", validators=[Optional(), Length(max=500)],
                       description="Comma-separated, e.g. refund, carrier")
    estimated_hours = DecimalField("Estimated hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])
    actual_hours = DecimalField("Actual hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])


class TicketForCustomerForm(NewTicketForm):
    """An agent opens a ticket on a customer's behalf (a phone call, an e-mail)."""
    customer_email = EmailField("Customer email", validators=[
        DataRequired(message="Whose ticket is it? Enter the customer's e-mail address."),
        Length(max=254)])
    priority = SelectField("Priority", default="medium",
                           choices=choices([(p, label) for p, label in reversed(PRIORITY_PAIRS)]))
