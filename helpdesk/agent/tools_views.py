"""Agents' tools on the queue and the workspace: saved views, tag suggestions, macros,
custom fields and the Markdown preview. Each POST makes one service call and redirects
back, or re-renders its page with the refusal next to the field."""
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qsl

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..models import Macro
from ..permissions import can_share, can_work_ticket
from ..services.errors import DomainError, NotFound
from ..services.fields import values as field_values
from ..services.fields.definitions import fields_for
from ..services.queue import filters as queues
from ..services.queue import saved_views
from ..services.text.markdown import render_markdown
from ..services.tickets import macros, tags, workspace
from ..web import EmptyForm, choices, show_refusal
from . import bp
from .tool_forms import (
    ApplyMacroForm,
    MacroForm,
    MoveViewForm,
    PreviewForm,
    SaveViewForm,
    custom_fields_form,
    custom_values,
)

COUNTED_VIEWS = 15  # views with a live count in the side bar (one bounded count each)


# --- the queue's side bar: saved views ----------------------------------------------------

def share_choices(refs) -> list:
    pairs = [("personal", "Only me")]
    if can_share(current_user):
        pairs += [("all", "Every agent")] + [(f"team:{t.id}", f"Team {t.name}")
                                            for t in refs.teams]
    return choices(pairs)


def queue_tools(args: MultiDict, refs, filter_form) -> dict:
    """What the queue's partials need: the views (with counts), the save form and the
    tag suggestions. `filter_form(args, refs)` is the queue's own filter form."""
    views, default_id = saved_views.views_and_default(current_user)
    counts = {}
    for view in views[:COUNTED_VIEWS]:
        form = filter_form(MultiDict(parse_qsl(view.query)), refs)
        form.validate()
        counts[view.id] = queues.count(current_user, form.filters())
    try:
        current = saved_views.clean_query(list(args.items(multi=True)))
    except DomainError:  # too long to save: the page still shows, saving says why
        current = ""
    save_form = SaveViewForm(formdata=None, query=current)
    save_form.share.choices = share_choices(refs)
    return {"saved_views": views, "view_counts": counts, "current_query": current,
            "default_view_id": default_id, "save_view_form": save_form,
            "tag_suggestions": None,  # filled by static/js/tags.js from /agent/tags.json
            "filter_fields": fields_for(current_user, any_category=True)}


@bp.post("/views")
def save_view():
    form = SaveViewForm()
    form.share.choices = share_choices(workspace.references())
    back = url_for(".queue") + ("?" + form.query.data if form.query.data else "")
    if not form.validate():
        flash(" ".join(form.view_name.errors) or "Name the view.", "error")
        return redirect(back), 303
    try:
        view = saved_views.save_view(current_user, name=form.view_name.data,
                                     query=form.query.data or "", share=form.share.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back), 303
    flash(f"View “{view.name}” is saved.", "success")
    return redirect(back)


def _view(view_id: int):
    try:
        return saved_views.get_view(current_user, view_id)
    except NotFound:
        abort(404)


def _view_action(action, done: str):
    if not EmptyForm().validate():
        abort(400)
    try:
        action()
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(request.form.get("back") if (request.form.get("back") or "").startswith(
        url_for(".queue")) else url_for(".queue"))


@bp.post("/views/<id:view_id>/move")
def move_view(view_id: int):
    view = _view(view_id)
    form = MoveViewForm()
    return _view_action(lambda: saved_views.move_view(current_user, view,
                                                      form.direction.data or ""),
                        f"“{view.name}” moved {form.direction.data}.")


@bp.post("/views/<id:view_id>/delete")
def delete_view(view_id: int):
    view = _view(view_id)
    return _view_action(lambda: saved_views.delete_view(current_user, view),
                        f"View “{view.name}” is deleted.")


@bp.post("/views/<id:view_id>/default")
def default_view(view_id: int):
    view = _view(view_id)
    return _view_action(lambda: saved_views.set_default(current_user, view),
                        f"Your queue opens with “{view.name}”.")


@bp.post("/views/default/clear")
def clear_default_view():
    return _view_action(lambda: saved_views.set_default(current_user, None),
                        "Your queue opens with every open ticket.")


@bp.get("/tags.json")
def tag_suggestions():
    """Tag names starting with ?q= (most used first), for autocomplete."""
    return jsonify(tags.suggestions(request.args.get("q", "")[:50]))


# --- the workspace: macros, custom fields, preview ---------------------------------------

def workspace_tools(ticket) -> dict:
    """What the workspace's partials need (one call from render_ticket)."""
    available = macros.macros_for(current_user)
    apply_form = ApplyMacroForm(formdata=None)
    apply_form.macro.choices = choices([("", "Choose a macro…")] + [
        (m.id, m.title + (" (mine)" if m.owner_id else "")) for m in available])
    values = field_values.ticket_values(ticket, current_user)
    form = custom_fields_form([f for f, _ in values])(formdata=None)
    for f, found in values:
        form[f"cf_{f.key}"].data = shown_value(f.kind, found)
    return {"macro_form": apply_form, "macros_available": available,
            "custom_values": values, "custom_form": form,
            "tag_suggestions": tags.suggestions()}


def shown_value(kind: str, found: list):
    """A stored value as its WTForms field wants it."""
    if kind == "multi":
        return list(found)
    if not found:
        return None
    if kind == "number":
        return Decimal(str(found[0]))
    if kind == "date":
        return date.fromisoformat(found[0])
    return found[0]


def _ticket(number: str):
    try:
        return workspace.get_ticket(current_user, number)
    except NotFound:
        abort(404)


@bp.post("/tickets/<number>/macro")
def apply_macro(number):
    from .ticket_views import render_ticket
    ticket = _ticket(number)
    form = ApplyMacroForm()
    form.macro.choices = choices([(m.id, m.title) for m in macros.macros_for(current_user)])
    if not form.validate():
        return render_ticket(number, 400, macro_form=form)
    try:
        macro = macros.get_macro(current_user, form.macro.data)
        message = macros.apply_macro(ticket, current_user, macro,
                                     internal=bool(form.internal.data))
    except DomainError as error:
        status = show_refusal(form, error, "macro")
        return render_ticket(number, status, macro_form=form)
    flash(f"Macro “{macro.title}” applied.", "success")
    anchor = f"#message-{message.id}" if message else ""
    return redirect(url_for(".ticket", number=ticket.number) + anchor)


@bp.post("/tickets/<number>/fields")
def save_custom_fields(number):
    from .ticket_views import render_ticket
    ticket = _ticket(number)
    values = field_values.ticket_values(ticket, current_user)
    form = custom_fields_form([f for f, _ in values])()
    if not form.validate():
        return render_ticket(number, 400, custom_form=form)
    try:
        changed = field_values.update_ticket_fields(ticket, current_user,
                                                    custom_values(form))
    except DomainError as error:
        status = show_refusal(form, error, "")
        return render_ticket(number, status, custom_form=form)
    flash("Fields saved." if changed else "Nothing to change.", "success")
    return redirect(url_for(".ticket", number=ticket.number))


@bp.post("/tickets/<number>/preview")
def preview_reply(number):
    """Without JavaScript: the page again, the reply as typed and its rendering above it."""
    from .forms import ReplyForm
    from .ticket_views import render_ticket
    _ticket(number)
    form = ReplyForm()
    return render_ticket(number, 200, reply_form=form,
                         reply_preview=render_markdown(form.body.data or ""))


# --- personal and shared macros -----------------------------------------------------------

def _macro_form(refs, macro: Macro | None = None, formdata=None):
    form = MacroForm(formdata=formdata) if formdata is not None else MacroForm(obj=macro)
    form.team_id.choices = choices([("", "No change")] + [(t.id, t.name) for t in refs.teams])
    people = [("", "No change"), ("me", "Whoever applies it")]
    if current_user.is_admin:
        people += [("none", "Nobody")] + [(u.id, u.name) for u in refs.staff]
    form.assignee.choices = choices(people)
    if macro is not None and formdata is None:
        actions = macros.actions_of(macro)
        form.shared.data = macro.owner_id is None
        for key in ("status", "priority", "team_id", "assignee"):
            getattr(form, key).data = str(actions.get(key, ""))
        form.add_tags.data = ", ".join(actions.get("add_tags", []))
        form.remove_tags.data = ", ".join(actions.get("remove_tags", []))
    return form


@bp.get("/macros")
def macro_list():
    rows = macros.macros_for(current_user)
    return render_template("agent/macros.html", macros=rows,
                           described={m.id: macros.describe(m) for m in rows},
                           delete_form=EmptyForm())


@bp.route("/macros/new", methods=["GET", "POST"], defaults={"macro_id": None})
@bp.route("/macros/<id:macro_id>", methods=["GET", "POST"])
def edit_macro(macro_id: int | None):
    macro = None
    if macro_id is not None:
        try:
            macro = macros.get_macro(current_user, macro_id)
        except NotFound:
            abort(404)
    refs = workspace.references()
    form = _macro_form(refs, macro, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                saved = macros.save_macro(
                    current_user, macro, title=form.title.data, body=form.body.data,
                    shared=bool(form.shared.data),
                    actions={k: getattr(form, k).data for k in macros.ACTION_KEYS})
            except DomainError as error:
                status = show_refusal(form, error, "title")
            else:
                flash(f"Macro “{saved.title}” is saved.", "success")
                return redirect(url_for(".macro_list"))
    return render_template("agent/macro_form.html", form=form, macro=macro,
                           tag_suggestions=tags.suggestions(),
                           placeholders=macros.PLACEHOLDERS), status


@bp.post("/macros/<id:macro_id>/delete")
def delete_macro(macro_id: int):
    if not EmptyForm().validate():
        abort(400)
    try:
        macro = macros.get_macro(current_user, macro_id)
        macros.delete_macro(current_user, macro)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".macro_list")), 303
    flash(f"Macro “{macro.title}” is deleted.", "success")
    return redirect(url_for(".macro_list"))


def may_work(ticket) -> bool:
    return can_work_ticket(current_user, ticket)


__all__ = ["PreviewForm", "queue_tools", "workspace_tools"]
