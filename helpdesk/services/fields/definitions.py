"""Admins define custom fields: a kind, required or not, for every ticket or some
categories, visible to customers or to staff only. Each change is audited."""
import re

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...models import FIELD_KINDS, Category, CustomField, User
from .. import audit
from ..errors import Forbidden, InvalidInput
from ..unit_of_work import unit_of_work

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_OPTIONS = 50


def request_cache() -> dict:
    """Per request (the WSGI environ, never shared between requests): the definitions."""
    if not has_request_context():
        return {}
    return request.environ.setdefault("helpdesk.custom_fields", {})


def all_fields(*, active_only: bool = False) -> list[CustomField]:
    """The definitions with their categories, in one statement; cached for the request
    (a page asks several times: forms, filters, values) and dropped by save_field."""
    cache = request_cache()
    if active_only not in cache:
        query = (select(CustomField).options(joinedload(CustomField.categories))
                 .order_by(CustomField.position, CustomField.label))
        if active_only:
            query = query.where(CustomField.active.is_(True))
        cache[active_only] = list(db.session.scalars(query).unique())
    return cache[active_only]


def fields_for(viewer: User | None, category_id: int | None = None, *,
               any_category: bool = False) -> list[CustomField]:
    """The active fields this person may see on a ticket of this category (customers:
    only the fields marked visible to customers). `any_category`: every field, whatever
    its categories (the new-ticket form, before a category is chosen)."""
    staff = viewer is not None and viewer.is_staff
    found = []
    for field in all_fields(active_only=True):
        if not staff and not field.customer_visible:
            continue
        ids = {c.id for c in field.categories}
        if ids and not any_category and category_id not in ids:
            continue
        found.append(field)
    return found


def applies_to(field: CustomField, category_id: int | None) -> bool:
    ids = {c.id for c in field.categories}
    return not ids or category_id in ids


def save_field(admin: User, field: CustomField | None, *, key: str, label: str, kind: str,
               required: bool, customer_visible: bool, options: str = "",
               category_ids=(), active: bool = True, position: int = 0) -> CustomField:
    if not permissions.can_manage_reference(admin):
        raise Forbidden("Only admins manage custom fields.")
    key = (key or "").strip().lower()
    label = " ".join((label or "").split())
    if not KEY.match(key):
        raise InvalidInput("Use lower-case letters, digits and _ (start with a letter).",
                           field="key")
    if not label:
        raise InvalidInput("Give the field a label.", field="label")
    if kind not in FIELD_KINDS:
        raise InvalidInput("Choose one of the listed kinds.", field="kind")
    choices = [line.strip() for line in (options or "").splitlines() if line.strip()]
    if kind in ("choice", "multi") and not choices:
        raise InvalidInput("List the choices, one per line.", field="options")
    if len(choices) > MAX_OPTIONS or any(len(c) > 100 for c in choices):
        raise InvalidInput(f"At most {MAX_OPTIONS} choices of up to 100 characters.",
                           field="options")
    clash = db.session.scalar(select(CustomField).where(CustomField.key == key))
    if clash is not None and clash is not field:
        raise InvalidInput(f"“{key}” is already taken.", field="key")
    categories = []
    for raw in category_ids or ():
        category = db.session.get(Category, int(raw)) if str(raw).isdigit() else None
        if category is None:
            raise InvalidInput("Choose listed categories.", field="categories")
        categories.append(category)
    created = field is None
    with unit_of_work():
        if created:
            field = CustomField()
            db.session.add(field)
        field.key, field.label, field.kind = key, label, kind
        field.required, field.customer_visible = bool(required), bool(customer_visible)
        field.options = "\n".join(choices) if kind in ("choice", "multi") else ""
        field.active, field.position = bool(active), int(position or 0)
        field.categories = categories
        audit.record(None, admin, "custom_field_" + ("created" if created else "updated"),
                     note=f"{label} ({key})")
    request_cache().clear()
    return field
