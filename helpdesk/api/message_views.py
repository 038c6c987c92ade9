"""The conversation: messages (public replies and internal notes), editing and deleting
them, files, and downloading a file. Customers never see or write internal notes: the
services filter them in the query and refuse them on the way in."""
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from .. import permissions
from ..services.files import attachments
from ..services.tickets import conversation
from ..web import send_attachment
from . import ROW_ID, bp, errors, present
from .access import MULTIPART, access, caller_user
from .fields import Id
from .parsing import MULTIPART_LOCATION
from .problems import Problem
from .schemas import (
    AttachmentListSchema,
    MessageCreateSchema,
    MessageListSchema,
    MessageSchema,
    MessageUpdateSchema,
)
from .ticket_views import visible_ticket


@bp.route("/tickets/<number>/messages", tags=["Conversation"])
class TicketMessages(MethodView):

    @access(permissions.can_use_api)
    @bp.response(200, MessageListSchema)
    @errors(401, 403, 404, 429)
    def get(self, number):
        """The thread, oldest first (customers: public messages only)"""
        user = caller_user()
        messages = conversation.thread(user, visible_ticket(number))
        return {"items": [present.message(m) for m in messages]}

    @access(permissions.can_use_api)
    @bp.arguments(MessageCreateSchema)
    @bp.response(201, MessageSchema)
    @errors(400, 401, 403, 404, 409, 422, 429)
    def post(self, body, number):
        """Reply, or add an internal note (`internal: true`, agents and admins)

        Public replies: the requester, the assigned agent or an admin. A customer's reply
        to a resolved ticket reopens it; closed tickets take no replies (409). Attach
        files to the new message with POST /tickets/{number}/attachments and `message`.
        """
        message = conversation.post_reply(visible_ticket(number), caller_user(),
                                          body["body"], internal=body["internal"])
        return present.message(message)


def _message(message_id: int):
    return conversation.visible_message(caller_user(), message_id)


@bp.route(f"/messages/<{ROW_ID}:message_id>", tags=["Conversation"])
class MessageResource(MethodView):

    @access(permissions.can_use_api)
    @bp.arguments(MessageUpdateSchema)
    @bp.response(200, MessageSchema)
    @errors(400, 401, 403, 404, 409, 422, 429)
    def patch(self, body, message_id):
        """Edit a message (its author, or an admin); the history keeps the old text"""
        message = _message(message_id)
        conversation.edit_message(message, caller_user(), body["body"])
        return present.message(message)

    @access(permissions.can_use_api, body=None)
    @bp.response(204)
    @errors(401, 403, 404, 409, 429)
    def delete(self, message_id):
        """Delete a message and its files (its author, or an admin); audited"""
        conversation.delete_message(_message(message_id), caller_user())
        return None


class AttachmentUploadSchema(Schema):
    file = fields.List(Upload(), required=True, metadata={
        "description": "One or more files (repeat the field)."})
    message = Id(strict=False, metadata={
        "description": "Attach to this message of yours instead of the ticket itself "
                       "(the files are then as visible as the message)."})


@bp.route("/tickets/<number>/attachments", tags=["Conversation"], methods=["POST"])
@access(permissions.can_use_api, body=MULTIPART)
@bp.arguments(AttachmentUploadSchema, location=MULTIPART_LOCATION)
@bp.response(201, AttachmentListSchema)
@errors(400, 401, 403, 404, 409, 413, 422, 429)
def upload(body, number):
    """Attach files (multipart field `file`, repeatable)

    The same checks as on the pages: size, count, and types whose content matches their
    name. Files on the ticket itself are public: the requester's, or the assigned
    agent's or an admin's; anyone may add files to their own message.
    """
    user = caller_user()
    ticket = visible_ticket(number)
    message = None
    if "message" in body:
        message = conversation.visible_message(user, body["message"])
    stored = conversation.attach_files(ticket, user, body["file"], message=message)
    return {"items": [present.attachment(a) for a in stored]}


@bp.route(f"/attachments/<{ROW_ID}:attachment_id>", tags=["Conversation"], methods=["GET"])
@access(permissions.can_use_api)
@bp.response(200, {"format": "binary", "type": "string"}, content_type="*/*")
@errors(401, 403, 404, 429)
def attachment(attachment_id):
    """A file's bytes, for whoever may see the message (or ticket) it belongs to"""
    row = attachments.visible_attachment(caller_user(), attachment_id)
    if row is None:
        raise Problem(404, "File not found.")
    return send_attachment(row)
