"""The originals of mail received on a ticket: listed in the workspace, downloaded as
.eml by agents and admins only (the blueprint's guard, and the service again)."""
from flask import abort, send_file
from flask_login import current_user

from ..services.mail import inbound
from . import bp


@bp.context_processor
def mail_helpers():
    return {"received_mails": lambda ticket: inbound.received_mails(current_user, ticket)}


@bp.get("/mail/<id:mail_id>/original.eml")
def original_mail(mail_id: int):
    found = inbound.original_file(current_user, mail_id)
    if found is None:
        abort(404)
    mail, stream = found
    response = send_file(stream, as_attachment=True, download_name=f"mail-{mail.id}.eml",
                         mimetype="message/rfc822", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response
