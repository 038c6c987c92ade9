"""Request and response schemas (marshmallow): they validate what comes in, shape what
goes out, and generate /api/v1/openapi.json through flask-smorest.

Output schemas dump plain dicts built by api/present.py (which decides what each caller
may see); input schemas refuse unknown fields, so a typo ("is_internal") is a 422, not a
silently public message.
"""
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from ..models import AgentStatus, Priority, Role, Status
from ..services.queue.listing import MAX_LIMIT, SORTS
from ..services.tickets.details import MAX_TAGS
from .fields import Id, IdOrName, Text, UtcDateTime

STATUSES = [s.value for s in Status]
PRIORITIES = [p.value for p in Priority]
ROLES = [r.value for r in Role]


# --- errors --------------------------------------------------------------------------------

class ProblemSchema(Schema):
    """RFC 9457 problem details (application/problem+json)."""
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "On 422: messages per field."})
    allowed = fields.List(fields.String(), metadata={
        "description": "On 409 from the workflow: the statuses you may move the ticket to."})


# --- shared pieces -------------------------------------------------------------------------

class RefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PersonSchema(RefSchema):
    email = fields.String(required=True)


class AuthorSchema(RefSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "GET it with your token."})


# --- auth ----------------------------------------------------------------------------------

class TokenRequestSchema(Schema):
    email = Text(required=True, validate=validate.Length(1, 254))
    password = Text(required=True, validate=validate.Length(1, 128))
    otp = Text(validate=validate.Length(1, 20), metadata={
        "description": "With two-step sign-in on: the authenticator app's code, or a "
                       "recovery code. Missing: 401 with `code` \"otp_required\"; wrong: "
                       "401 with `code` \"otp_invalid\"."})


class RefreshRequestSchema(Schema):
    refresh_token = Text(required=True, validate=validate.Length(1, 200))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})
    refresh_token = fields.String(required=True)


class MeSchema(PersonSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    agent_status = fields.String(allow_none=True)
    organization = fields.Nested(RefSchema, allow_none=True)
    scopes = fields.List(fields.String(), required=True)


# --- tickets -------------------------------------------------------------------------------

class TicketSchema(Schema):
    number = fields.String(required=True, metadata={"example": "TKT-000042"})
    subject = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    category = fields.Nested(RefSchema, allow_none=True, required=True)
    team = fields.Nested(RefSchema, allow_none=True, required=True, metadata={
        "description": "null for customers."})
    requester = fields.Nested(PersonSchema, required=True)
    assignee = fields.Nested(RefSchema, allow_none=True, required=True)
    organization = fields.Nested(RefSchema, allow_none=True, required=True)
    tags = fields.List(fields.String(), required=True, metadata={
        "description": "Empty for customers."})
    order_reference = fields.String(allow_none=True, required=True)
    due_at = UtcDateTime(allow_none=True, required=True, metadata={
        "description": "null for customers."})
    overdue = fields.Boolean(allow_none=True, required=True, metadata={
        "description": "Due date passed and not resolved; null for customers."})
    first_response_at = UtcDateTime(allow_none=True, required=True)
    resolved_at = UtcDateTime(allow_none=True, required=True)
    closed_at = UtcDateTime(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True, metadata={
        "description": "The last change the caller can see (customers: not internal notes)."})
    custom_fields = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                                metadata={"description": "Custom fields by key (a list for "
                                          "multiple choice); customers see only theirs."})


class FeedbackSchema(Schema):
    rating = fields.Integer(required=True)
    comment = fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class TicketDetailSchema(TicketSchema):
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True, metadata={
        "description": "Files on the ticket itself (message files are on each message)."})
    feedback = fields.Nested(FeedbackSchema, allow_none=True, required=True)
    follow_up = fields.String(allow_none=True, required=True, metadata={
        "description": "The number of the closed ticket this one follows up on."})
    allowed_statuses = fields.List(fields.String(validate=validate.OneOf(STATUSES)),
                                   required=True, metadata={
        "description": "Statuses the caller may move the ticket to now."})


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page."})
    total = fields.Integer(required=True)
    total_exact = fields.Boolean(required=True, metadata={
        "description": "false: there are more than `total` (a lower bound)."})


class TicketListArgsSchema(Schema):
    status = DelimitedList(fields.String(validate=validate.OneOf(STATUSES)), metadata={
        "description": "One or more statuses, comma-separated."})
    priority = DelimitedList(fields.String(validate=validate.OneOf(PRIORITIES)))
    category = IdOrName()
    team = Id(strict=False)
    assignee = fields.String(validate=validate.Regexp(r"^(me|none|[1-9][0-9]{0,9})$"),
                             metadata={"description": '"me", "none" or an agent id.'})
    organization = Id(strict=False)
    open = fields.Boolean(metadata={"description": "Only new, open, in progress, on hold."})
    overdue = fields.Boolean()
    q = Text(validate=validate.Length(max=200), metadata={
        "description": "Free text: number, subject, description, messages, requester."})
    created_after = UtcDateTime()
    created_before = UtcDateTime()
    sort = fields.String(validate=validate.OneOf(SORTS), load_default="-created")
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(1, 500))


class TicketCreateSchema(Schema):
    subject = Text(required=True, validate=validate.Length(1, 200))
    description = Text(required=True, validate=validate.Length(1, 20000))
    category = IdOrName(allow_none=True)
    priority = fields.String(validate=validate.OneOf(PRIORITIES), metadata={
        "description": "Agents only; customers' tickets start at medium."})
    order_reference = Text(allow_none=True, validate=validate.Length(max=100))
    requester = Text(validate=validate.Length(1, 254), metadata={
        "description": "Agents: the e-mail of the customer the ticket is for."})
    follow_up = Text(validate=validate.Length(1, 32), metadata={
        "description": "Customers: the number of their closed ticket this follows up on."})
    custom_fields = fields.Dict(keys=fields.String(validate=validate.Length(1, 40)),
                                values=fields.Raw(allow_none=True),
                                validate=validate.Length(max=50), metadata={
        "description": "Custom fields by key; required ones of the category must be given."})


class TicketUpdateSchema(Schema):
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    category = IdOrName(allow_none=True)
    team = Id(allow_none=True)
    due_at = UtcDateTime(allow_none=True, metadata={
        "description": "null: back to the SLA target."})
    tags = fields.List(Text(validate=validate.Length(1, 50)),
                       validate=validate.Length(max=MAX_TAGS))
    estimated_hours = fields.Float(allow_none=True, validate=validate.Range(0, 10000))
    actual_hours = fields.Float(allow_none=True, validate=validate.Range(0, 10000))


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    note = Text(validate=validate.Length(max=2000))


class AssignSchema(Schema):
    assignee = Id(required=True, allow_none=True, metadata={
        "description": "An approved agent's id, or null to unassign."})


class EscalateSchema(Schema):
    reason = Text(required=True, validate=validate.Length(1, 2000))


class FeedbackCreateSchema(Schema):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(1, 5))
    comment = Text(allow_none=True, validate=validate.Length(max=5000))


class HistoryEventSchema(Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True)
    field = fields.String(allow_none=True, required=True)
    old_value = fields.String(allow_none=True, required=True)
    new_value = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    internal = fields.Boolean(required=True)
    actor = fields.Nested(AuthorSchema, allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryEventSchema), required=True)


# --- messages and files --------------------------------------------------------------------

class MessageSchema(Schema):
    id = fields.Integer(required=True)
    body = fields.String(required=True)
    internal = fields.Boolean(required=True)
    author = fields.Nested(AuthorSchema, required=True)
    created_at = UtcDateTime(required=True)
    edited_at = UtcDateTime(allow_none=True, required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class MessageListSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)


class MessageCreateSchema(Schema):
    body = Text(required=True, validate=validate.Length(1, 20000))
    internal = fields.Boolean(load_default=False, metadata={
        "description": "An internal note (agents and admins only)."})


class MessageUpdateSchema(Schema):
    body = Text(required=True, validate=validate.Length(1, 20000))


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


# --- reference data, statistics, people ----------------------------------------------------

class CategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema), required=True)


class FaqArgsSchema(Schema):
    q = Text(validate=validate.Length(max=100))
    category = Id(strict=False)


class FaqEntrySchema(Schema):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    answer = fields.String(required=True)
    category = fields.Nested(RefSchema, allow_none=True, required=True)


class FaqListSchema(Schema):
    items = fields.List(fields.Nested(FaqEntrySchema), required=True)


class CountSchema(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True)


class StatsSchema(Schema):
    total = fields.Integer(required=True)
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_priority = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_category = fields.List(fields.Nested(CountSchema), required=True)
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    unassigned = fields.Integer(required=True)
    mine = fields.Integer(required=True, metadata={"description": "Open, assigned to you."})
    avg_first_response_hours = fields.Float(allow_none=True, required=True)
    avg_resolution_hours = fields.Float(allow_none=True, required=True)
    csat_average = fields.Float(allow_none=True, required=True)
    csat_count = fields.Integer(required=True)


class AgentSchema(PersonSchema):
    role = fields.String(required=True)
    agent_status = fields.String(allow_none=True, required=True)
    contact_number = fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class AgentListSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema), required=True)


class AgentListArgsSchema(Schema):
    state = fields.String(load_default=AgentStatus.PENDING.value,
                          validate=validate.OneOf([s.value for s in AgentStatus]))
