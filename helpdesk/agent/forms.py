"""Forms of the queue and the workspace. They check input; they never touch the database
(choices that come from data are filled in by the views)."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from ..models import PRIORITY_LABELS, STATUS_LABELS, Priority, Status
from ..portal.forms import NewTicketForm, custom_fields_form, custom_values  # noqa: F401
from ..services.queue.filters import (
    DEFAULT_SORT,
    OLD_SORTS,
    SORTS,
    QueueFilters,
    sort_value,
    split_tag_terms,
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
    # agents-tools: tags (also `tag:NAME` in Search) and custom fields (`cf_<key>=value`).
    tags = StringField("Tags", validators=[Optional(), Length(max=300)],
                       description="Comma-separated; or type tag:NAME in Search",
                       render_kw={"list": "tag-suggestions", "autocomplete": "off"})
    tags_mode = SelectField("Match tags", choices=choices([("any", "Any of them"),
                                                           ("all", "All of them")]),
                            default="any", validators=[Optional()])

    def validate_created_to(self, field):
        if field.data and self.created_from.data and field.data < self.created_from.data:
            raise ValidationError("Pick a date on or after the 'Created from' date.")

    def prepare(self, formdata) -> None:
        """A bare link (no `filtered`) keeps the default: open tickets only."""
        if "filtered" not in formdata:
            self.open_only.data = True
        self.filtered.data = "1"
        if self.sort.data in OLD_SORTS:  # a link from before the sort words changed
            self.sort.data = OLD_SORTS[self.sort.data]
        self.field_values = tuple(
            (key[3:], value.strip()[:200]) for key, value in
            (formdata.items(multi=True) if hasattr(formdata, "items") else [])
            if key.startswith("cf_") and len(key) <= 43 and value and value.strip())[:10]

    def filters(self) -> QueueFilters:
        """The filters as checked; a value that failed its check is left out."""
        text, tag_terms = split_tag_terms((self.q.data or "").strip())
        tags = tuple(dict.fromkeys(
            [t.strip().lower()[:50] for t in (self.tags.data or "").split(",") if t.strip()]
            + list(tag_terms)))[:10]
        return QueueFilters(
            status=self.status.data if self.status.data in set(Status) else None,
            priority=self.priority.data if self.priority.data in set(Priority) else None,
            category_id=parse_id(self.category.data), team_id=parse_id(self.team.data),
            assignee_id=parse_id(self.assignee.data),
            organization_id=parse_id(self.organization.data), mine=bool(self.mine.data),
            unassigned=bool(self.unassigned.data), overdue=bool(self.overdue.data),
            open_only=bool(self.open_only.data), created_from=self.created_from.data,
            created_to=self.created_to.data, search=text,
            sort=sort_value(self.sort.data),
            tags=tags, tags_all=self.tags_mode.data == "all" or bool(tag_terms),
            field_values=getattr(self, "field_values", ()))


class BulkForm(FlaskForm):
    """Bulk actions over the ticked rows: one select of "kind:value" actions."""
    ticket_ids = SelectMultipleField("Tickets", coerce=int, validate_choice=False,
                                     validators=[DataRequired("Tick at least one ticket.")])
    bulk_action = SelectField("Bulk action", validate_choice=False,
                              validators=[DataRequired("Choose what to do.")])
    bulk_tag = StringField("Tag", validators=[Optional(), Length(max=50)],
                           description="For “Add tag” and “Remove tag”",
                           render_kw={"list": "tag-suggestions", "autocomplete": "off"})
    next = HiddenField()
    # "1" once the person confirmed (the page's confirm dialog, or the confirmation page
    # shown without JavaScript for what cannot be undone).
    confirmed = HiddenField()


REPLY, NOTE = "reply", "note"


class VersionedForm(FlaskForm):
    """A workspace form: it carries the ticket's version as the page loaded it, so an
    action taken on an out-of-date page is held (services/tickets/collision.py). Hidden
    inputs render without ids, so a page of several such forms has no duplicate ids."""
    version = HiddenField(render_kw={"id": False})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = getattr(self, "csrf_token", None)
        if token is not None:
            token.render_kw = {"id": False}


class ReplyForm(VersionedForm):
    """One composer, two modes: a public reply or an internal note (the radio decides;
    the old `internal` checkbox is still understood). `set_status`: send and move the
    ticket in one step; its choices are the workflow's, filled in by the view."""
    mode = RadioField("Compose as", choices=choices([(REPLY, "Reply"), (NOTE, "Internal note")]),
                      default=REPLY, validators=[Optional()])
    body = TextAreaField("Message", validators=[DataRequired("Write a message."),
                                                Length(max=20000)])
    attachments = MultipleFileField("Attachments")
    internal = BooleanField("Internal note",
                            description="Only agents and admins see internal notes.")
    set_status = SelectField("Set status", validate_choice=False, validators=[Optional()])

    @property
    def is_note(self) -> bool:
        return self.mode.data == NOTE or bool(self.internal.data)


class TypedDateTimeField(DateTimeField):
    """A date and time typed as text in the one format of the app (YYYY-MM-DD HH:MM):
    the browser's own picker would show its own format instead."""
    widget = TextInput()


class TicketUpdateForm(VersionedForm):
    """The side panel: one form, one "Update" button. Fields this person may not change
    are rendered disabled (so not sent) and are left as they are."""
    status = SelectField("Status", validate_choice=False, validators=[Optional()])
    priority = SelectField("Priority", choices=choices(PRIORITY_PAIRS), validate_choice=False,
                           validators=[Optional()])
    assignee = SelectField("Assignee", validate_choice=False, validators=[Optional()])
    team = SelectField("Team", validate_choice=False, validators=[Optional()])
    category = SelectField("Category", validate_choice=False, validators=[Optional()])
    # One date format everywhere (web.DATE_FORMAT), the picker too: typed, not a
    # browser widget that shows the browser's own format.
    due_at = TypedDateTimeField("Due date", format=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
                                validators=[Optional()],
                                description="UTC, as YYYY-MM-DD HH:MM, e.g. 2026-12-24 17:00. "
                                            "Leave empty to use the SLA target.")
    tags = StringField("Tags", validators=[Optional(), Length(max=500)],
                       description="Comma-separated, e.g. refund, carrier")
    estimated_hours = DecimalField("Estimated hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])
    actual_hours = DecimalField("Actual hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])


class StatusForm(VersionedForm):
    # The workflow (services), not the form, decides which targets are allowed.
    status = SelectField("Status", validate_choice=False, validators=[DataRequired()])


class PriorityForm(VersionedForm):
    priority = SelectField("Priority", choices=choices(PRIORITY_PAIRS), validate_choice=False,
                           validators=[DataRequired()])


class AssignForm(VersionedForm):
    assignee = SelectField("Assignee", validate_choice=False, validators=[Optional()])


class EscalateForm(VersionedForm):
    reason = TextAreaField("Reason", validators=[
        DataRequired("Say why this ticket needs escalating."), Length(max=2000)],
        render_kw={"rows": 3})


class DetailsForm(VersionedForm):
    team = SelectField("Team", validate_choice=False, validators=[Optional()])
    category = SelectField("Category", validate_choice=False, validators=[Optional()])
    due_at = DateTimeLocalField("Due date", format="%Y-%m-%dT%H:%M",
                                validators=[Optional()],
                                description="UTC. Leave empty to use the SLA target.")
    tags = StringField("Tags", validators=[Optional(), Length(max=500)],
                       description="Comma-separated, e.g. refund, carrier",
                       render_kw={"list": "tag-suggestions", "autocomplete": "off"})
    estimated_hours = DecimalField("Estimated hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])
    actual_hours = DecimalField("Actual hours", places=2, validators=[
        Optional(), NumberRange(min=0, max=10000, message="Use 0 to 10,000 hours.")])


class TakeForm(VersionedForm):
    """"Take": one button, and the version."""


class MergeForm(VersionedForm):
    target = StringField("Merge into", validators=[
        DataRequired("Type the number of the ticket to merge into."), Length(max=40)],
        description="A ticket number, e.g. TKT-000042. Its thread receives this one's "
                    "messages, files and history; this one is then closed.",
        render_kw={"autocomplete": "off"})
    confirm_requesters = BooleanField("The requesters differ: merge anyway")


class LinkForm(VersionedForm):
    related = StringField("Related ticket", validators=[
        DataRequired("Type the number of the related ticket."), Length(max=40)],
        description="A ticket number, e.g. TKT-000042.", render_kw={"autocomplete": "off"})


class UnlinkForm(VersionedForm):
    related = HiddenField(render_kw={"id": False})


class BulkMergeForm(FlaskForm):
    """The queue's "Merge into…": the ticked tickets, and the one they go into."""
    ticket_ids = SelectMultipleField("Tickets", coerce=int, validate_choice=False,
                                     validators=[DataRequired("Tick at least one ticket.")])
    target = StringField("Merge into", validators=[
        DataRequired("Type the number of the ticket to merge into."), Length(max=40)],
        description="A ticket number, e.g. TKT-000042: one of those below, or another.",
        render_kw={"autocomplete": "off"})
    confirm_requesters = BooleanField("The requesters differ: merge anyway")
    next = HiddenField()


class TicketForCustomerForm(NewTicketForm):
    """An agent opens a ticket on a customer's behalf (a phone call, an e-mail)."""
    customer_email = EmailField("Customer email", validators=[
        DataRequired(message="Whose ticket is it? Enter the customer's e-mail address."),
        Length(max=254)])
    priority = SelectField("Priority", default="medium",
                           choices=choices([(p, label) for p, label in reversed(PRIORITY_PAIRS)]))
