"""The values of custom fields on tickets: checked per kind, stored one row per value in
ticket_field_values (typed columns), read in one query per page, filtered by index.

Storage at a million tickets: a filter `cf_plan=gold` is
`tickets.id IN (SELECT ticket_id FROM ticket_field_values WHERE field_id = ? AND
value_text = ?)`, one range of ix_ticket_field_values_text (field_id, value_text,
ticket_id), covering, never a scan of the values table; numbers and dates use their own
(field_id, value_number|value_date, ticket_id) indexes.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, false, select

from ... import permissions
from ...extensions import db
from ...models import CustomField, Ticket, TicketFieldValue, User
from .. import audit, events
from ..errors import Forbidden, InvalidInput
from ..unit_of_work import unit_of_work
from .definitions import all_fields, applies_to, fields_for

YES, NO = "yes", "no"
MAX_TEXT = 500


def form_name(field: CustomField) -> str:
    return f"cf_{field.key}"


def _refuse(field: CustomField, message: str):
    raise InvalidInput(message, field=form_name(field))


def parse_one(field: CustomField, raw) -> list[tuple[str | None, float | None, date | None]]:
    """A submitted value → rows (text, number, date); [] for empty. Refused with the
    message next to the field."""
    if field.kind == "multi":
        picked = [str(v).strip() for v in (raw if isinstance(raw, list | tuple) else [raw])
                  if v not in (None, "") and str(v).strip()]
        unknown = [v for v in picked if v not in field.choices]
        if unknown:
            _refuse(field, "Choose among the listed options.")
        return [(v, None, None) for v in dict.fromkeys(picked)]
    if isinstance(raw, list | tuple):
        raw = raw[-1] if raw else None
    if isinstance(raw, bool):
        raw = YES if raw else NO
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return []
    if isinstance(raw, date):
        value = raw
    else:
        value = str(raw).strip()
    if field.kind == "text":
        if len(value) > MAX_TEXT:
            _refuse(field, f"Keep it under {MAX_TEXT} characters.")
        return [(value, None, None)]
    if field.kind == "number":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            _refuse(field, "Enter a number.")
        if not number.is_finite() or abs(number) > Decimal("1e15"):
            _refuse(field, "Enter a number.")
        return [(None, float(number), None)]
    if field.kind == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value)
        except ValueError:
            _refuse(field, "Enter a date as YYYY-MM-DD.")
        return [(None, None, day)]
    if field.kind == "yesno":
        text = str(value).lower()
        if text in ("y", "yes", "true", "1", "on"):
            return [(YES, None, None)]
        if text in ("n", "no", "false", "0", "off"):
            return [(NO, None, None)]
        _refuse(field, "Answer yes or no.")
    if field.kind == "choice":
        if value not in field.choices:
            _refuse(field, "Choose one of the listed options.")
        return [(value, None, None)]
    _refuse(field, "This field cannot take a value.")
    return []


def check_values(fields: list[CustomField], raw: dict, category_id: int | None, *,
                 partial: bool = False) -> dict[int, list]:
    """Every field that applies to this category, checked; required ones must be given
    (unless `partial`: only the keys present are checked)."""
    checked = {}
    for field in fields:
        if not applies_to(field, category_id):
            continue
        name = form_name(field)
        if partial and name not in raw and field.key not in raw:
            continue
        value = raw.get(name, raw.get(field.key))
        rows = parse_one(field, value)
        if field.required and not rows:
            _refuse(field, f"{field.label} is required.")
        checked[field.id] = rows
    return checked


def write_values(ticket: Ticket, checked: dict[int, list]) -> None:
    """Inside the caller's unit of work: replace these fields' values on the ticket."""
    if not checked:
        return
    db.session.execute(delete(TicketFieldValue).where(
        TicketFieldValue.ticket_id == ticket.id,
        TicketFieldValue.field_id.in_(list(checked))))
    for field_id, rows in checked.items():
        for text, number, day in rows:
            db.session.add(TicketFieldValue(ticket_id=ticket.id, field_id=field_id,
                                            value_text=text, value_number=number,
                                            value_date=day))


def values_by_ticket(ticket_ids, viewer: User | None) -> dict[int, dict[str, list]]:
    """{ticket id: {field key: [display values]}} for the fields this person may see,
    in one query (customers: customer-visible fields only)."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    query = (select(TicketFieldValue.ticket_id, CustomField.key, CustomField.kind,
                    TicketFieldValue.value_text, TicketFieldValue.value_number,
                    TicketFieldValue.value_date)
             .join(CustomField, CustomField.id == TicketFieldValue.field_id)
             .where(TicketFieldValue.ticket_id.in_(ids), CustomField.active.is_(True))
             .order_by(TicketFieldValue.id))
    if viewer is None or not viewer.is_staff:
        query = query.where(CustomField.customer_visible.is_(True))
    found: dict[int, dict[str, list]] = {}
    for ticket_id, key, kind, text, number, day in db.session.execute(query):
        found.setdefault(ticket_id, {}).setdefault(key, []).append(
            display(kind, text, number, day))
    return found


def display(kind: str, text, number, day):
    if kind == "number" and number is not None:
        return int(number) if float(number).is_integer() else number
    if kind == "date" and day is not None:
        return day.isoformat()
    return text


def ticket_values(ticket: Ticket, viewer: User | None) -> list[tuple[CustomField, list]]:
    """(field, values) for the fields that apply to this ticket and this viewer."""
    fields = fields_for(viewer, ticket.category_id)
    if not fields:
        return []
    by_key = values_by_ticket([ticket.id], viewer).get(ticket.id, {})
    return [(f, by_key.get(f.key, [])) for f in fields]


def update_ticket_fields(ticket: Ticket, actor: User, raw: dict) -> list[str]:
    """The workspace's custom-field block: the assignee or an admin changes the values;
    an audit event per changed field. Returns the keys that changed."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change these details.")
    fields = fields_for(actor, ticket.category_id)
    checked = check_values(fields, raw, ticket.category_id)
    before = values_by_ticket([ticket.id], actor).get(ticket.id, {})
    by_id = {f.id: f for f in fields}
    changed = {}
    for field_id, rows in checked.items():
        field = by_id[field_id]
        new = [display(field.kind, *row) for row in rows]
        if new != before.get(field.key, []):
            changed[field_id] = rows
    if not changed:
        return []
    with unit_of_work():
        write_values(ticket, changed)
        for field_id, rows in changed.items():
            field = by_id[field_id]
            new = [display(field.kind, *row) for row in rows]
            audit.record(ticket, actor, "custom_field_changed", field=field.key,
                         old=", ".join(map(str, before.get(field.key, []))) or None,
                         new=", ".join(map(str, new)) or None,
                         internal=not field.customer_visible)
        events.publish("ticket.updated", ticket, actor=actor,
                       changes=[by_id[i].key for i in changed])
    return [by_id[i].key for i in changed]


def _fields_by_key() -> dict[str, CustomField]:
    return {f.key: f for f in all_fields(active_only=True)}  # cached for the request


def filter_condition(key: str, value: str):
    """`cf_<key>=value` in the queue: an index range on ticket_field_values. An unknown
    field or a value of the wrong kind matches nothing (never an error page)."""
    field = _fields_by_key().get(key)
    if field is None:
        return false()
    try:
        rows = parse_one(field, value)
    except InvalidInput:
        return false()
    if not rows:
        return false()
    text, number, day = rows[0]
    match = TicketFieldValue.field_id == field.id
    if number is not None:
        match = match & (TicketFieldValue.value_number == number)
    elif day is not None:
        match = match & (TicketFieldValue.value_date == day)
    else:
        match = match & (TicketFieldValue.value_text == text)
    return Ticket.id.in_(select(TicketFieldValue.ticket_id).where(match))
