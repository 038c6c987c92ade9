"""The ticket workspace: the thread, the reply form and the side panel's actions.

Each action is a POST that makes one service call, then redirects back (success) or
re-renders the page with the refusal next to its field (400 invalid, 403 not allowed,
409 someone was faster) — what was typed stays in the form.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import can_work_ticket
from ..services.errors import DomainError, InvalidInput, NotFound
from ..services.files import pending
from ..services.tickets import assignment, conversation, updates, workspace
from ..services.tickets import details as ticket_details
from ..services.tickets import status as ticket_status
from ..web import EmptyForm, choices, priority_label, show_refusal, status_label
from . import bp
from .forms import (
    NOTE,
    AssignForm,
    DetailsForm,
    EscalateForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TicketUpdateForm,
)

FORMS = {"reply_form": ReplyForm, "update_form": TicketUpdateForm, "take_form": EmptyForm,
         "escalate_form": EscalateForm}
# Where each form sits on the page: after an action the page comes back there.
ANCHORS = {"reply_form": "composer", "update_form": "ticket-panel", "take_form": "ticket-panel",
           "escalate_form": "escalate"}


def _ticket(number: str):
    try:
        return workspace.get_ticket(current_user, number)
    except NotFound:
        abort(404)


def _prefill(name: str, ticket):
    """A fresh form showing the ticket as it is."""
    form = FORMS[name](formdata=None)
    if name == "update_form":
        form.status.data = ticket.status
        form.priority.data = ticket.priority
        form.assignee.data = str(ticket.assignee_id or "")
        form.team.data = str(ticket.team_id or "")
        form.category.data = str(ticket.category_id or "")
        form.due_at.data = ticket.due_at
        form.tags.data = ", ".join(ticket.tag_names)
        form.estimated_hours.data = ticket.estimated_hours
        form.actual_hours.data = ticket.actual_hours
    elif name == "reply_form" and not can_work_ticket(current_user, ticket):
        form.mode.data = NOTE  # public replies are for the assignee and admins
    return form


def render_ticket(number: str, status: int = 200, kept=(), **forms):
    try:
        page = workspace.open_workspace(current_user, number)
    except NotFound:
        abort(404)
    ticket = page.ticket
    refs = workspace.references(canned=True)
    for name in FORMS:
        forms.setdefault(name, _prefill(name, ticket))
    update_form, reply_form = forms["update_form"], forms["reply_form"]
    update_form.status.choices = choices(
        [(s, status_label(s)) for s in [ticket.status, *page.status_targets]])
    reply_form.set_status.choices = choices(
        [("", f"Keep as {status_label(ticket.status)}")]
        + [(s, status_label(s)) for s in page.status_targets])
    update_form.assignee.choices = choices(
        [("", "Unassigned")] + [(u.id, u.name) for u in refs.staff])
    update_form.team.choices = choices(
        [("", "No team")] + [(t.id, t.name) for t in refs.teams])
    update_form.category.choices = choices(
        [("", "No category")] + [(c.id, c.name) for c in refs.categories
                                 if c.active or c.id == ticket.category_id])
    return render_template("agent/ticket.html", ws=page, ticket=ticket, refs=refs,
                           kept=kept, **forms), status


def _refused(number: str, form_name: str, form, error: DomainError, default_field: str,
             kept=()):
    """Re-render with the refusal next to its field (or above the form)."""
    status = show_refusal(form, error, default_field)
    return render_ticket(number, status, kept=kept, **{form_name: form})


def _back(ticket, anchor: str | None = None):
    """Back to where the person was, the confirmation (role=status) visible there."""
    return redirect(url_for(".ticket", number=ticket.number)
                    + (f"#{anchor}" if anchor else ""))


def _refused_in_panel(number: str, error: DomainError, field: str):
    """The single-purpose routes (status, priority, assign, details: kept for scripts
    and older pages) show a refusal in the side panel's one form."""
    form = TicketUpdateForm()  # what was typed stays; what was not sent shows the ticket
    shown = _prefill("update_form", _ticket(number))
    for name, sub in form._fields.items():
        if name not in request.form and name != "csrf_token":
            sub.data = shown[name].data
    return _refused(number, "update_form", form, error, field)


@bp.get("/tickets/<number>")
def ticket(number):
    return render_ticket(number)


@bp.post("/tickets/<number>/reply")
def reply(number):
    ticket = _ticket(number)
    form = ReplyForm()
    files = request.files.getlist(form.attachments.name)
    kept = pending.kept_for(current_user, request.form.getlist("kept"))
    removed = request.form.get("remove_kept")
    if removed:  # "(remove)" on a kept file: the form again, as typed, without it
        pending.discard_pending(current_user, removed)
        kept = [k for k in kept if str(k.id) != removed]
        return render_ticket(number, 200, kept=pending.keep_uploads(current_user, files,
                                                                    already=kept),
                             reply_form=form)
    if not form.validate():
        kept = pending.keep_uploads(current_user, files, already=kept)
        return render_ticket(number, 400, kept=kept, reply_form=form)
    try:
        message = conversation.post_reply(ticket, current_user, form.body.data,
                                          internal=form.is_note, files=files, kept=kept,
                                          set_status=form.set_status.data or None)
    except DomainError as error:
        if error.field != "attachments":
            kept = pending.keep_uploads(current_user, files, already=kept)
        return _refused(number, "reply_form", form, error, "body", kept=kept)
    done = "Internal note added." if message.is_internal else "Reply sent."
    if form.set_status.data and ticket.status == form.set_status.data:
        done += f" Status: {status_label(ticket.status)}."
    flash(done, "success")
    return _back(ticket, f"message-{message.id}")


@bp.post("/tickets/<number>/update")
def update_ticket(number):
    """The side panel's one form: every change in one unit of work."""
    ticket = _ticket(number)
    form = TicketUpdateForm()
    if not form.validate():
        return render_ticket(number, 400, update_form=form)
    sent = request.form
    changes = updates.TicketChanges(
        status=form.status.data or None, priority=form.priority.data or None,
        assignee_id=form.assignee.data if "assignee" in sent else updates.UNCHANGED,
        details_sent="team" in sent, team_id=form.team.data,
        category_id=form.category.data, due_at=form.due_at.data, tags=form.tags.data,
        estimated_hours=form.estimated_hours.data, actual_hours=form.actual_hours.data)
    try:
        changed = updates.update_ticket(ticket, current_user, changes)
    except updates.FieldRefusals as error:
        for name, message in error.errors.items():
            target = getattr(form, name, None)
            if target is not None:
                target.errors = [*target.errors, message]
            else:
                form.form_errors.append(message)
        return render_ticket(number, 400, update_form=form)
    except DomainError as error:
        return _refused(number, "update_form", form, error, "status")
    flash(_summary(ticket, changed), "success")
    return _back(ticket, "ticket-panel")


def _summary(ticket, changed: list[str]) -> str:
    if not changed:
        return "Nothing to change."
    words = {"status": f"status {status_label(ticket.status)}",
             "priority": f"priority {priority_label(ticket.priority)}",
             "assignee": (f"assignee {ticket.assignee.name}" if ticket.assignee
                          else "unassigned"),
             "team": "team", "category": "category", "tags": "tags", "due_at": "due date",
             "estimated_hours": "estimate", "actual_hours": "actual hours"}
    return "Updated: " + ", ".join(words.get(c, c) for c in changed) + "."


@bp.post("/tickets/<number>/status")
def change_status(number):
    ticket = _ticket(number)
    form = StatusForm()
    if not form.validate():
        return _refused_in_panel(number, _first_error(form), "status")
    try:
        changed = ticket_status.pick_status(ticket, current_user, form.status.data)
    except DomainError as error:
        return _refused_in_panel(number, error, "status")
    if changed:
        flash(f"Status changed to {status_label(ticket.status)}.", "success")
    return _back(ticket, "ticket-panel")


@bp.post("/tickets/<number>/priority")
def change_priority(number):
    ticket = _ticket(number)
    form = PriorityForm()
    if not form.validate():
        return _refused_in_panel(number, _first_error(form), "priority")
    try:
        assignment.change_priority(ticket, current_user, form.priority.data)
    except DomainError as error:
        return _refused_in_panel(number, error, "priority")
    flash(f"Priority is {priority_label(ticket.priority)}.", "success")
    return _back(ticket, "ticket-panel")


@bp.post("/tickets/<number>/assign")
def assign(number):
    ticket = _ticket(number)
    form = AssignForm()
    if not form.validate():
        return _refused_in_panel(number, _first_error(form), "assignee")
    try:
        assignment.assign_by_id(ticket, current_user, form.assignee.data or None)
    except DomainError as error:
        return _refused_in_panel(number, error, "assignee")
    flash(f"Assigned to {ticket.assignee.name}." if ticket.assignee else "Unassigned.",
          "success")
    return _back(ticket, "ticket-panel")


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
    return _back(ticket, "ticket-panel")


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
    return _back(ticket, "escalate")


@bp.post("/tickets/<number>/details")
def details(number):
    ticket = _ticket(number)
    form = DetailsForm()
    if not form.validate():
        return _refused_in_panel(number, _first_error(form), "team")
    try:
        changed = ticket_details.update_details(
            ticket, current_user, team_id=form.team.data, category_id=form.category.data,
            due_at=form.due_at.data, tags=form.tags.data,
            estimated_hours=form.estimated_hours.data, actual_hours=form.actual_hours.data)
    except DomainError as error:
        return _refused_in_panel(number, error, "team")
    flash("Details saved." if changed else "Nothing to change.", "success")
    return _back(ticket, "ticket-panel")


def _first_error(form) -> DomainError:
    """A single-purpose form's own validation error, as a refusal for the panel."""
    for name, errors in form.errors.items():
        return InvalidInput(errors[0], field=name)
    return InvalidInput("Check the form.")
