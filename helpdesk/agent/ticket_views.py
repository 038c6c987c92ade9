"""The ticket workspace: the thread, the reply form and the side panel's actions.

Each action is a POST that makes one service call, then redirects back (success) or
re-renders the page with the refusal next to its field (400 invalid, 403 not allowed,
409 someone was faster) — what was typed stays in the form.

Every form carries the ticket's version as the page loaded it: an action sent from a
page that is out of date is held (409), shown with what changed, and can be sent again
("Send anyway" / "Apply anyway") with the new version (services/tickets/collision.py).
"""
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import can_work_ticket
from ..services.errors import DomainError, InvalidInput, NotFound
from ..services.files import pending
from ..services.tickets import (
    assignment,
    collision,
    conversation,
    linking,
    macros,
    merging,
    updates,
    workspace,
)
from ..services.tickets import details as ticket_details
from ..services.tickets import status as ticket_status
from ..web import choices, person_name, priority_label, show_refusal, status_label
from . import bp
from .forms import (
    NOTE,
    AssignForm,
    DetailsForm,
    EscalateForm,
    LinkForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TakeForm,
    TicketUpdateForm,
    UnlinkForm,
)
from .tools_views import workspace_tools

FORMS = {"reply_form": ReplyForm, "update_form": TicketUpdateForm, "take_form": TakeForm,
         "escalate_form": EscalateForm, "merge_form": MergeForm, "link_form": LinkForm,
         "unlink_form": UnlinkForm}
# Where each form sits on the page: after an action the page comes back there.
ANCHORS = {"reply_form": "composer", "update_form": "ticket-panel", "take_form": "ticket-panel",
           "escalate_form": "escalate"}
# What each held form is, and its confirm button.
HELD_WORDS = {"reply_form": ("your reply", "Send anyway"),
              "update_form": ("your update", "Update anyway")}


@dataclass
class Held:
    """An action not applied because the ticket changed since the page was loaded."""
    form: object
    changes: collision.Changes
    action_url: str
    what: str
    button: str
    had_files: bool


def _ticket(number: str):
    try:
        return workspace.get_ticket(current_user, number)
    except NotFound:
        abort(404)


def _prefill(name: str, ticket):
    """A fresh form showing the ticket as it is (and its version)."""
    form = FORMS[name](formdata=None)
    form.version.data = collision.version_of(ticket)
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


def render_ticket(number: str, status: int = 200, kept=(), *, held: Held | None = None,
                  follow_merge: bool = False, **forms):
    try:
        page = workspace.open_workspace(current_user, number)
    except NotFound:
        abort(404)
    ticket = page.ticket
    if follow_merge and ticket.merged_into_id is not None:
        target = merging.redirect_target(current_user, ticket)
        if target is not None:
            flash(f"{ticket.number} was merged into {target.number}.", "info")
            return redirect(url_for(".ticket", number=target.number))
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
        [("", "Unassigned")] + [(u.id, person_name(u)) for u in refs.staff])
    update_form.team.choices = choices(
        [("", "No team")] + [(t.id, t.name) for t in refs.teams])
    update_form.category.choices = choices(
        [("", "No category")] + [(c.id, c.name) for c in refs.categories
                                 if c.active or c.id == ticket.category_id])
    return render_template("agent/ticket.html", ws=page, ticket=ticket, refs=refs,
                           canned_bodies=macros.filled_bodies(refs.canned_replies, ticket,
                                                              current_user),
                           kept=kept, held=held, related=linking.related_tickets(ticket),
                           **{**workspace_tools(ticket), **forms}), status


def hold_if_stale(number: str, ticket, form_name: str, form, kept=()):
    """The page again (409) when the ticket changed since the form's page was loaded;
    None when the form is up to date and the action may go ahead."""
    changes = collision.changes_since(current_user, ticket, form.version.data)
    if changes is None:
        return None
    form.version.data = changes.version
    what, button = HELD_WORDS.get(form_name, ("your change", "Apply anyway"))
    held = Held(form=form, changes=changes, what=what, button=button,
                action_url=url_for(request.endpoint, number=number),
                had_files=any(f.filename for f in request.files.values()) and not kept)
    return render_ticket(number, 409, kept=kept, held=held, **{form_name: form})


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
    """The workspace; a merged ticket's number leads to the ticket it was merged into."""
    return render_ticket(number, follow_merge=True)


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
    if collision.changes_since(current_user, ticket, form.version.data) is not None:
        # Held: the files chosen for it are kept, so "Send anyway" still sends them.
        kept = pending.keep_uploads(current_user, files, already=kept)
        return hold_if_stale(number, ticket, "reply_form", form, kept)
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
    if stale := hold_if_stale(number, ticket, "update_form", form):
        return stale
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
    if stale := hold_if_stale(number, ticket, "status_form", form):
        return stale
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
    if stale := hold_if_stale(number, ticket, "priority_form", form):
        return stale
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
    if stale := hold_if_stale(number, ticket, "assign_form", form):
        return stale
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
    form = TakeForm()
    if not form.validate():
        return render_ticket(number, 400, take_form=form)
    if stale := hold_if_stale(number, ticket, "take_form", form):
        return stale
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
    if stale := hold_if_stale(number, ticket, "escalate_form", form):
        return stale
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
    if stale := hold_if_stale(number, ticket, "details_form", form):
        return stale
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
