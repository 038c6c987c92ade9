"""Webhooks: register, change, delete; the secret shown once; the delivery log."""
from flask import make_response, redirect, render_template
from flask_login import current_user

from ..services.errors import DomainError
from ..services.webhooks import hooks
from ..web import EmptyForm, form_status, paginate, refuse, show_refusal
from . import bp
from .forms import WebhookForm
from .handling import admin_url, edit_page, one_button

DELIVERIES_PAGE_SIZE = 50


def _hook(webhook_id: int):
    try:
        return hooks.get(webhook_id)
    except DomainError as error:
        refuse(error)


def _fields(form: WebhookForm) -> dict:
    return {"url": form.url.data, "events": form.events.data,
            "description": form.description.data,
            "include_internal": form.include_internal.data, "active": form.active.data}


def _show_secret(hook, *, new_hook: bool):
    """The only time the secret is shown: right after it was made (and never cached)."""
    response = make_response(render_template("admin/webhook_secret.html", hook=hook,
                                             new_hook=new_hook))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/webhooks")
def webhooks():
    return render_template("admin/webhooks.html", hooks=hooks.webhooks(), form=EmptyForm())


@bp.route("/webhooks/new", methods=["GET", "POST"])
def new_webhook():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            hook = hooks.create_webhook(current_user, **_fields(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            return _show_secret(hook, new_hook=True)
    return render_template("admin/form_page.html", form=form, title="New webhook",
                           back=admin_url("webhooks"), submit_label="Create webhook",
                           intro="Events are POSTed as JSON, signed with a secret you get "
                           "after saving."), form_status(form)


@bp.route("/webhooks/<id:webhook_id>", methods=["GET", "POST"])
def edit_webhook(webhook_id: int):
    hook = _hook(webhook_id)
    form = WebhookForm(data={"url": hook.url, "description": hook.description,
                             "events": hook.event_names, "active": hook.active,
                             "include_internal": hook.include_internal})
    return edit_page(form, lambda: hooks.update_webhook(current_user, hook, **_fields(form)),
                     done="The webhook is saved.", back=admin_url("webhooks"),
                     title="Edit webhook", template="admin/webhook_form.html", hook=hook,
                     secret_form=EmptyForm())


@bp.post("/webhooks/<id:webhook_id>/secret")
def rotate_webhook_secret(webhook_id: int):
    hook = _hook(webhook_id)
    if not EmptyForm().validate_on_submit():
        return redirect(admin_url("edit_webhook", webhook_id=hook.id))
    try:
        hooks.rotate_secret(current_user, hook)
    except DomainError as error:
        refuse(error)
    return _show_secret(hook, new_hook=False)


@bp.post("/webhooks/<id:webhook_id>/delete")
def delete_webhook(webhook_id: int):
    hook = _hook(webhook_id)
    return one_button(lambda: hooks.delete_webhook(current_user, hook),
                      done="The webhook is deleted with its delivery log.",
                      back=admin_url("webhooks"))


@bp.get("/webhooks/<id:webhook_id>/deliveries")
def webhook_deliveries(webhook_id: int):
    hook = _hook(webhook_id)
    page = paginate(hooks.deliveries_query(hook), DELIVERIES_PAGE_SIZE)
    return render_template("admin/webhook_deliveries.html", hook=hook, page=page,
                           form=EmptyForm())


@bp.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/retry")
def retry_webhook_delivery(webhook_id: int, delivery_id: int):
    hook = _hook(webhook_id)
    try:
        delivery = hooks.get_delivery(hook, delivery_id)
    except DomainError as error:
        refuse(error)
    return one_button(lambda: hooks.retry_delivery(current_user, delivery),
                      done=f"Delivery #{delivery_id} is queued to be sent again now.",
                      back=admin_url("webhook_deliveries", webhook_id=hook.id))
