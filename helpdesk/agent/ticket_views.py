"""The ticket workspace: the thread, the reply form and the side panel's actions.

Each action is a POST that makes one service call, then redirects back (success) or
re-renders the page with the refusal next to its field (400 invalid, 403 not allowed,
409 someone was faster) — what was typed stays in the form.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import can_work_ticket
from ..services.errors import DomainError, NotFound
from ..services.tickets import assignment, conversation, workspace
from ..services.tickets import details as ticket_details
from ..services.tickets import status as ticket_status
from ..web import EmptyForm, choices, person_name, priority_label, show_refusal, status_label
from . import bp
from .forms import AssignForm, DetailsForm, EscalateForm, PriorityForm, ReplyForm, StatusForm

FORMS = {"reply_form": ReplyForm, "status_form": StatusForm, "priority_form": PriorityForm,
         "assign_form": AssignForm, "take_form": EmptyForm, "escalate_form": EscalateForm,
         "details_form": DetailsForm}


def _ticket(number: str):
    try:
        return workspace.get_ticket(current_user, number)
    except NotFound:
        abort(404)


def _prefill(name: str, ticket):
    """A fresh form showing the ticket as it is."""
    form = FORMS[name](formdata=None)
    if name == "status_form":
        form.status.data = ticket.status
    elif name == "priority_form":
        form.priority.data = ticket.priority
    elif name == "assign_form":
        form.assignee.data = str(ticket.assignee_id or "")
    elif name == "details_form":
        form.team.data = str(ticket.team_id or "")
        form.category.data = str(ticket.category_id or "")
        form.due_at.data = ticket.due_at
        form.tags.data = ", ".join(ticket.tag_names)
        form.estimated_hours.data = ticket.estimated_hours
        form.actual_hours.data = ticket.actual_hours
    elif name == "reply_form" and not can_work_ticket(current_user, ticket):
        form.internal.data = True  # public replies are for the assignee and admins
    return form


def render_ticket(number: str, status: int = 200, **forms):
    try:
        page = workspace.open_workspace(current_user, number)
    except NotFound:
        abort(404)
    ticket = page.ticket
    refs = workspace.references(canned=True)
    for name in FORMS:
        forms.setdefault(name, _prefill(name, ticket))
    forms["status_form"].status.choices = choices(
        [(s, status_label(s)) for s in [ticket.status, *page.status_targets]])
    forms["assign_form"].assignee.choices = choices(
        [("", "Unassigned")] + [(u.id, person_name(u)) for u in refs.staff])
    forms["details_form"].team.choices = choices(
        [("", "No team")] + [(t.id, t.name) for t in refs.teams])
    forms["details_form"].category.choices = choices(
        [("", "No category")] + [(c.id, c.name) for c in refs.categories
                                 if c.active or c.id == ticket.category_id])
    return render_template("agent/ticket.html", ws=page, ticket=ticket, refs=refs,
                           **forms), status


def _refused(number: str, form_name: str, form, error: DomainError, default_field: str):
    """Re-render with the refusal next to its field (or above the form)."""
    status = show_refusal(form, error, default_field)
    return render_ticket(number, status, **{form_name: form})


def _back(ticket, anchor: str | None = None):
    return redirect(url_for(".ticket", number=ticket.number)
                    + (f"#{anchor}" if anchor else ""))


@bp.get("/tickets/<number>")
def ticket(number):
    return render_ticket(number)


@bp.post("/tickets/<number>/reply")
def reply(number):
    ticket = _ticket(number)
    form = ReplyForm()
    if not form.validate():
        return render_ticket(number, 400, reply_form=form)
    try:
        message = conversation.post_reply(ticket, current_user, form.body.data,
                                          internal=bool(form.internal.data),
                                          files=request.files.getlist(form.attachments.name))
    except DomainError as error:
        return _refused(number, "reply_form", form, error, "body")
    flash("Internal note added." if message.is_internal else "Reply sent.", "success")
    return _back(ticket, f"message-{message.id}")


@bp.post("/tickets/<number>/status")
def change_status(number):
    ticket = _ticket(number)
    form = StatusForm()
    if not form.validate():
        return render_ticket(number, 400, status_form=form)
    try:
        changed = ticket_status.pick_status(ticket, current_user, form.status.data)
    except DomainError as error:
        return _refused(number, "status_form", form, error, "status")
    if changed:
        flash(f"Status changed to {status_label(ticket.status)}.", "success")
    return _back(ticket)


@bp.post("/tickets/<number>/priority")
def change_priority(number):
    ticket = _ticket(number)
    form = PriorityForm()
    if not form.validate():
        return render_ticket(number, 400, priority_form=form)
    try:
        assignment.change_priority(ticket, current_user, form.priority.data)
    except DomainError as error:
        return _refused(number, "priority_form", form, error, "priority")
    flash(f"Priority is {priority_label(ticket.priority)}.", "success")
    return _back(ticket)


@bp.post("/tickets/<number>/assign")
def assign(number):
    ticket = _ticket(number)
    form = AssignForm()
    if not form.validate():
        return render_ticket(number, 400, assign_form=form)
    try:
        assignment.assign_by_id(ticket, current_user, form.assignee.data or None)
    except DomainError as error:
        return _refused(number, "assign_form", form, error, "assignee")
    flash(f"Assigned to {ticket.assignee.name}." if ticket.assignee else "Unassigned.",
          "success")
    return _back(ticket)


@bp.post("/tickets/<number>/take")
def take(number):
    ticket = _ticket(number)
    form = EmptyForm()
    if not form.validate():
        return render_ticket(number, 400, take_form=form)
    try:
        assignment.take_ticket(ticket, current_user)
    except DomainError as error:
        return _refused(number, "take_form", form, error, "")
    flash(f"You took {ticket.number}.", "success")
    return _back(ticket)


@bp.post("/tickets/<number>/escalate")
def escalate(number):
    ticket = _ticket(number)
    form = EscalateForm()
    if not form.validate():
        return render_ticket(number, 400, escalate_form=form)
    try:
        assignment.escalate(ticket, current_user, form.reason.data)
    except DomainError as error:
        return _refused(number, "escalate_form", form, error, "reason")
    flash(f"{ticket.number} was escalated to Critical.", "success")
    return _back(ticket)


@bp.post("/tickets/<number>/details")
def details(number):
    ticket = _ticket(number)
    form = DetailsForm()
    if not form.validate():
        return render_ticket(number, 400, details_form=form)
    try:
        changed = ticket_details.update_details(
            ticket, current_user, team_id=form.team.data, category_id=form.category.data,
            due_at=form.due_at.data, tags=form.tags.data,
            estimated_hours=form.estimated_hours.data, actual_hours=form.actual_hours.data)
    except DomainError as error:
        return _refused(number, "details_form", form, error, "")
    flash("Details saved." if changed else "Nothing to change.", "success")
    return _back(ticket)
