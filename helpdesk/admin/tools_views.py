"""Console pages of the agents' tools: the tag list (counts, rename, merge) and custom
field definitions."""
from flask import flash, redirect, render_template, request
from flask_login import current_user

from ..models import FIELD_KINDS, CustomField
from ..services.catalog.admin import get
from ..services.errors import DomainError, NotFound
from ..services.fields import definitions
from ..services.tickets import tags as tag_service
from ..web import choices, refuse, show_refusal
from . import bp
from .handling import admin_url, edit_page, posted_form
from .tools_forms import CustomFieldForm, RenameTagForm


@bp.get("/tags")
def tags(rename_form=None, status=200):
    q = request.args.get("q", "").strip()[:50]
    return render_template("admin/tags.html", tags=tag_service.tag_counts(q), q=q,
                           rename_form=rename_form or RenameTagForm(formdata=None)), status


@bp.post("/tags/rename")
def rename_tag():
    form = RenameTagForm()
    if not form.validate():
        return tags(form, 400)
    try:
        count = tag_service.rename_tag(current_user, form.tag.data, form.new_name.data)
    except DomainError as error:
        return tags(form, show_refusal(form, error, "new_name"))
    flash(f"“{form.tag.data}” is now “{form.new_name.data.strip().lower()}” on {count} "
          f"ticket{'s' if count != 1 else ''}.", "success")
    return redirect(admin_url("tags"))


@bp.get("/custom-fields")
def custom_fields():
    return render_template("admin/custom_fields.html", fields=definitions.all_fields(),
                           kinds=FIELD_KINDS)


@bp.route("/custom-fields/new", methods=["GET", "POST"], defaults={"field_id": None})
@bp.route("/custom-fields/<id:field_id>", methods=["GET", "POST"])
def edit_custom_field(field_id: int | None):
    field = None
    if field_id is not None:
        try:
            field = get(CustomField, field_id)
        except NotFound as error:
            refuse(error)
    form = CustomFieldForm(formdata=posted_form(), obj=field)
    from ..services.tickets.workspace import references
    form.categories.choices = choices([(c.id, c.name) for c in references().categories])
    if field is not None and request.method == "GET":
        form.categories.data = [c.id for c in field.categories]

    def save():
        definitions.save_field(
            current_user, field, key=form.key.data, label=form.label.data,
            kind=form.kind.data, required=form.required.data,
            customer_visible=form.customer_visible.data, options=form.options.data,
            category_ids=form.categories.data or [], active=form.active.data,
            position=form.position.data or 0)
    return edit_page(form, save, done=f"Field “{form.label.data}” is saved.",
                     back=admin_url("custom_fields"),
                     title=f"Edit {field.label}" if field else "New custom field")
