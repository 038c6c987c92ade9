"""Working together on the workspace: merge, related tickets, presence; and the queue's
"Merge into…" page. Views parse, call one service, answer."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..services.errors import DomainError
from ..services.tickets import linking, merging, presence
from ..web import local_url, show_refusal
from . import bp
from .forms import BulkMergeForm, LinkForm, MergeForm, UnlinkForm
from .ticket_views import _back, _refused, _ticket, hold_if_stale, render_ticket


@bp.post("/tickets/<number>/merge")
def merge(number):
    ticket = _ticket(number)
    form = MergeForm()
    if not form.validate():
        return render_ticket(number, 400, merge_form=form)
    if stale := hold_if_stale(number, ticket, "merge_form", form):
        return stale
    try:
        target = merging.find_target(current_user, form.target.data)
        merging.merge_tickets(current_user, ticket, target,
                              confirm_requesters=bool(form.confirm_requesters.data))
    except DomainError as error:
        return _refused(number, "merge_form", form, error, "target")
    flash(f"{number} was merged into {target.number}.", "success")
    return redirect(url_for(".ticket", number=target.number))


@bp.get("/tickets/<number>/merge/candidates")
def merge_candidates(number):
    """The picker's suggestions (HTML for data-suggest-url): open tickets by number or
    subject, the same requester's first."""
    ticket = _ticket(number)
    found = merging.candidates(current_user, ticket, request.args.get("q", ""))
    return render_template("agent/_merge_candidates.html", found=found, ticket=ticket)


@bp.post("/tickets/<number>/links")
def link(number):
    ticket = _ticket(number)
    form = LinkForm()
    if not form.validate():
        return render_ticket(number, 400, link_form=form)
    if stale := hold_if_stale(number, ticket, "link_form", form):
        return stale
    try:
        other = merging.find_target(current_user, form.related.data, field="related")
        added = linking.link_tickets(current_user, ticket, other)
    except DomainError as error:
        return _refused(number, "link_form", form, error, "related")
    flash(f"{ticket.number} and {other.number} are related." if added
          else f"{other.number} was already related.", "success")
    return _back(ticket, "links-title")


@bp.post("/tickets/<number>/links/remove")
def unlink(number):
    ticket = _ticket(number)
    form = UnlinkForm()
    if not form.validate():
        return render_ticket(number, 400, unlink_form=form)
    if stale := hold_if_stale(number, ticket, "unlink_form", form):
        return stale
    try:
        other = merging.find_target(current_user, form.related.data, field="related")
        removed = linking.unlink_tickets(current_user, ticket, other)
    except DomainError as error:
        return _refused(number, "unlink_form", form, error, "")
    flash(f"{other.number} is no longer related." if removed else "Nothing to remove.",
          "success")
    return _back(ticket, "links-title")


# --- presence: who else has this ticket open ------------------------------------------------

@bp.get("/tickets/<number>/presence")
def presence_list(number):
    """The poll: the other agents on this ticket now, in one indexed query."""
    return jsonify(presence.summary(presence.others_on(current_user, number)))


@bp.post("/tickets/<number>/presence")
def presence_mark(number):
    """"I am viewing / replying": an upsert (CSRF token in the X-CSRFToken header)."""
    try:
        presence.mark_present(current_user, number, request.form.get("state", "viewing"))
    except DomainError as error:
        return jsonify(error=error.message), 404 if error.field is None else 400
    return jsonify(presence.summary(presence.others_on(current_user, number)))


# --- the queue's "Merge into…" --------------------------------------------------------------

@bp.route("/queue/merge", methods=["GET", "POST"])
def bulk_merge():
    """Ticked tickets from the queue (GET ?ticket_ids=…), merged into one (POST)."""
    form = BulkMergeForm(formdata=request.form if request.method == "POST" else request.args)
    tickets = merging.tickets_by_ids(current_user, form.ticket_ids.data or [])
    back = local_url(form.next.data) or url_for(".queue")
    if request.method == "GET":
        if tickets and not form.target.data:
            form.target.data = tickets[0].number  # the oldest ticked
        return render_template("agent/merge.html", form=form, tickets=tickets, back=back)
    result = None
    status = 400
    if form.validate():
        try:
            result = merging.merge_many(current_user, form.ticket_ids.data, form.target.data,
                                        confirm_requesters=bool(form.confirm_requesters.data))
        except DomainError as error:
            status = show_refusal(form, error, "target")
        else:
            if not result.refused:
                flash(f"Merged {', '.join(result.merged)} into "
                      f"{merging.normalize_number(form.target.data)}.", "success")
                return redirect(back)
            status = 200 if result.merged else 409
    return render_template("agent/merge.html", form=form, tickets=tickets, back=back,
                           result=result), status
