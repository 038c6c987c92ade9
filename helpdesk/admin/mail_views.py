"""The console's mail pages: the delivery log (queued, sent, failed with the server's
answer; Retry) and the log of mail received."""
from flask import render_template, request
from flask_login import current_user

from ..services.mail import inbound
from ..services.mail import log as mail_log
from ..web import EmptyForm, paginate
from . import bp
from .handling import admin_url, one_button

PAGE_SIZE = 50
OUTCOMES = ["created", "added", "note", "refused", "ignored"]


@bp.get("/mail")
def mail_log_page():
    state = request.args.get("state") if request.args.get("state") in mail_log.STATES else None
    page = paginate(mail_log.delivery_log(state), PAGE_SIZE)
    return render_template("admin/mail.html", page=page, state=state,
                           states=mail_log.STATES, form=EmptyForm())


@bp.post("/mail/<id:delivery_id>/retry")
def retry_mail(delivery_id: int):
    keep = {k: v for k, v in request.args.items() if k in ("state", "page") and v}
    return one_button(lambda: mail_log.retry_delivery(current_user, delivery_id),
                      done="The mail is queued again: the worker sends it on its next round.",
                      back=admin_url("mail_log_page", **keep))


@bp.get("/mail/incoming")
def incoming_mail():
    outcome = request.args.get("outcome") if request.args.get("outcome") in OUTCOMES else None
    page = paginate(inbound.inbound_log(outcome), PAGE_SIZE)
    return render_template("admin/mail_incoming.html", page=page, outcome=outcome,
                           outcomes=OUTCOMES)
