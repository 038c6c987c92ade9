"""What every blueprint needs between HTTP and the services, written once.

- A service's refusal (services/errors.py) as a response: next to its form field, with
  the status code that says what happened (400 bad input, 403 not allowed, 404 not
  found, 409 someone got there first), or as an error page.
- Ids and page numbers from URLs, bounded before they reach a query (an id past the
  32-bit range is a 404, never an OverflowError), and pagination from `?page=`.
- WTForms choices in this WTForms' own terms, and the one-button form.
- Labels and links for templates (`|status_label`, `ticket_url(ticket)`).

Blueprints import from here; nothing here decides who may do what (permissions.py does).
"""
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple, NoReturn
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    has_request_context,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestedRangeNotSatisfiable, TooManyRequests
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import Field

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label) tuples and {group: [...]} dicts
    SelectChoice = None

from . import permissions
from .extensions import db
from .models import AGENT_STATUS_LABELS, PRIORITY_LABELS, STATUS_LABELS, Priority, Status
from .models.deliveries import DeliveryState
from .services.errors import Conflict, DomainError, Forbidden, NotFound, TooManyAttempts
from .services.files.attachments import storage
from .services.files.storage import validate_key
from .services.ids import MAX_ID, parse_id
from .services.people.directory import name_with_email, shared_staff_names
from .services.reporting.audit_log import event_name, event_verb
from .services.text.markdown import attachment_resolver
from .services.text.markdown import render as render_text_as

__all__ = [
    "MAX_PAGE", "EmptyForm", "IdConverter", "account_label", "attachment_url", "choices",
    "form_status", "grouped_choices", "init_app", "local_url", "optional_id", "page_arg",
    "paginate", "parse_id", "person_name", "priority_label", "refusal_status", "refuse",
    "show_refusal", "staff_label", "status_label", "ticket_url", "exact_time", "relative_time",
    "preview_kind", "message_html", "description_html",
]


# --- refusals ----------------------------------------------------------------------------

def refusal_status(error: DomainError) -> int:
    """The HTTP status of a refusal: 404 missing (or not visible: we never say which),
    403 not allowed, 409 someone else got there first, 400 anything else about the
    input (a transition the workflow refuses included: the form shows why)."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, TooManyAttempts):
        return 429
    return 400


def refuse(error: DomainError) -> NoReturn:
    """The error page for a refusal that has no form to show it on (a lookup by id)."""
    abort(refusal_status(error))


def show_refusal(form, error: DomainError, field: str | None = None) -> int:
    """Put a service's refusal next to the field it names (else next to `field`, else
    above the form) and return the status to re-render the form with. "Not found" is a
    404 page instead: the form is about something this person may not see."""
    status = refusal_status(error)
    if status == 404:
        abort(404)
    for name in (error.field, field):
        target = getattr(form, name, None) if name else None
        if isinstance(target, Field):
            target.errors = [*target.errors, error.message]
            break
    else:
        form.form_errors.append(error.message)
    return status


def form_status(form) -> int:
    """A submitted form that is shown again did not go through: 400."""
    return 400 if form.is_submitted() else 200


# --- forms -------------------------------------------------------------------------------

class EmptyForm(FlaskForm):
    """A one-button POST (take, approve, delete): the CSRF token is all it carries."""


def choices(pairs: Iterable[tuple[object, str]], optgroup: str | None = None) -> list:
    """SelectField choices from (value, label) pairs, in this WTForms' own terms. Values
    become strings, as the browser sends them back (None → "", the blank choice)."""
    pairs = [("" if value is None else str(value), label) for value, label in pairs]
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


def optional_id(value) -> int | None:
    """`coerce` for a select of rows with a blank choice: "" → None, else a row id
    (anything else is not a valid choice)."""
    if value in (None, "", "None"):
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError("Not a valid choice.")
    return number


def grouped_choices(first: tuple[str, str], groups: dict[str, list]) -> list | dict:
    """A first option, then one <optgroup> per group."""
    if SelectChoice is None:
        return {"": choices([first]), **{name: choices(pairs) for name, pairs in groups.items()}}
    flat = choices([first])
    for name, pairs in groups.items():
        flat += choices(pairs, optgroup=name)
    return flat


# --- ids, pages and links ----------------------------------------------------------------

class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a row id, 1 to 2^31-1. Anything else does not match the
    route (404) before the view or a query sees it. Takes no arguments."""

    def __init__(self, map):
        super().__init__(map, min=1, max=MAX_ID)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):  # no need to read a thousand digits
            raise ValidationError()
        return super().to_python(value)


MAX_PAGE = 100_000  # far past any list's end; keeps OFFSET a small number


def page_arg(value) -> int:
    """`?page=` as a page number: 1 when missing or not a number, at most MAX_PAGE."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit():
        return 1
    digits = text.lstrip("0") or "0"
    number = int(digits) if len(digits) <= len(str(MAX_PAGE)) else MAX_PAGE
    return max(1, min(number, MAX_PAGE))


def paginate(query, per_page: int, page=None):
    """A page of `query` (Flask-SQLAlchemy Pagination) for `?page=` or `page`; a page
    past the end is empty, never an error."""
    number = page_arg(request.args.get("page") if page is None else page)
    return db.paginate(query, page=number, per_page=per_page, error_out=False)


def local_url(target: str | None) -> str | None:
    """`target` if it is a path on this site (no scheme, no host, no `//`), else None:
    for `next=` parameters and "back" fields."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def attachment_url(attachment, inline: bool = False) -> str:
    """Where a file is downloaded (public.download checks who may); `inline`: shown in
    the browser, for the types that may be (preview_kind)."""
    if inline and preview_kind(attachment):
        return url_for("public.download", attachment_id=attachment.id, inline=1)
    return url_for("public.download", attachment_id=attachment.id)


# Shown inline (thumbnails, a new tab) only for these stored content types, which come
# from the file's sniffed bytes agreeing with its extension (services/files/uploads.py).
# Never SVG or HTML: they can carry script.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
INLINE_TYPES = IMAGE_TYPES | {"application/pdf"}
# An inline file may not run anything, load anything or be framed into a page.
INLINE_CSP = "sandbox; default-src 'none'"


def preview_kind(attachment) -> str | None:
    """"image", "pdf" or None (download only), from the stored content type."""
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type == "application/pdf":
        return "pdf"
    return None


def message_html(message, *, images: bool = True):
    """A message's body as the viewer sees it (the one renderer: services.text.markdown).
    Images resolve only to the message's own attachments, via the download route."""
    resolve = attachment_resolver(message.attachments, attachment_url) if images else None
    return render_text_as(message.body, getattr(message, "format", "text"), resolve)


def description_html(ticket, files=(), *, images: bool = True):
    """A ticket's description; its images may name the files it was opened with."""
    resolve = attachment_resolver(files, attachment_url) if images else None
    return render_text_as(ticket.description, getattr(ticket, "description_format", "text"),
                          resolve)


def ticket_url(ticket) -> str:
    """The ticket's page for the person looking: the portal's for its customer, the
    workspace for staff."""
    endpoint = "portal.ticket" if permissions.can_use_portal(current_user) else "agent.ticket"
    return url_for(endpoint, number=ticket.number)


# --- labels ------------------------------------------------------------------------------

def status_label(status) -> str:
    """"In progress" for in_progress; an unknown value as it is."""
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return str(status or "")


def priority_label(priority) -> str:
    try:
        return PRIORITY_LABELS[Priority(priority)]
    except ValueError:
        return str(priority or "")


def staff_label(user) -> str | None:
    """How a message's author is marked in the workspace: "Admin", "Agent", or nothing
    for a customer."""
    if user is None or not user.is_staff:
        return None
    return "Admin" if user.is_admin else "Agent"


def person_name(user, fallback: str = "System") -> str:
    """A person as pages, pickers and the audit log show them: the name, with the e-mail
    address when two members of staff share that name (one statement per request, only
    on pages that name someone)."""
    if user is None:
        return fallback
    if not user.is_staff:
        return user.name
    # Kept for this request only (the WSGI environ; `g` can outlive a request).
    cache = request.environ if has_request_context() else {}
    shared = cache.get(_SHARED_NAMES)
    if shared is None:
        shared = cache[_SHARED_NAMES] = shared_staff_names()
    return name_with_email(user.name, user.email, shared)


_SHARED_NAMES = "helpdesk.shared_staff_names"


class DeliveryStateLabel(NamedTuple):
    label: str
    kind: str          # badge kind
    waiting: bool      # a next attempt is scheduled
    retryable: bool    # an admin may send it again now


_DELIVERY_STATES = {
    DeliveryState.QUEUED: DeliveryStateLabel("Queued", "neutral", True, True),
    DeliveryState.SENT: DeliveryStateLabel("Sent", "success", False, False),
    DeliveryState.FAILED: DeliveryStateLabel("Failed", "danger", False, True),
}


def delivery_state(delivery) -> DeliveryStateLabel:
    """How a delivery log shows an outbox mail or webhook call, and whether it may be
    retried."""
    return _DELIVERY_STATES.get(delivery.state, _DELIVERY_STATES[DeliveryState.QUEUED])


def account_label(user) -> tuple[str, str]:
    """The agents page's account badge: (text, badge kind)."""
    if user.is_admin:
        return "Admin", "neutral"
    if user.is_staff:
        return "Agent", "success"
    text = AGENT_STATUS_LABELS.get(user.agent_status, user.agent_status or "")
    return text, "" if user.is_active else "danger"  # rejected, suspended


# --- downloads ---------------------------------------------------------------------------

def send_attachment(attachment, *, inline: bool = False):
    """A stored file as a download, for a caller already allowed to see it (pages and API
    alike): streamed from whichever backend holds it, so the client never learns where
    that is; the row knows the size and hash, so no backend has to be asked for them.
    Local files go through nginx when HELPDESK_ACCEL_REDIRECT_PREFIX is set.
    `inline` is honoured only for INLINE_TYPES (anything else, SVG included, is still a
    download), always with nosniff and a sandboxing Content-Security-Policy."""
    inline = bool(inline) and preview_kind(attachment) is not None
    accel_prefix = current_app.config.get("ACCEL_REDIRECT_PREFIX")
    if accel_prefix and current_app.config.get("STORAGE_BACKEND", "local") == "local":
        return _sandboxed(handed_to_nginx(attachment, accel_prefix, inline=inline), inline)
    try:
        stream = storage().open(attachment.stored_name)
    except FileNotFoundError:
        abort(404)
    response = send_file(stream, as_attachment=not inline,
                         download_name=attachment.original_name,
                         mimetype=attachment.content_type, max_age=0, conditional=False,
                         etag=attachment.sha256, last_modified=attachment.created_at)
    response.content_length = attachment.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    _sandboxed(response, inline)
    try:  # If-None-Match (304) and Range (206), as send_file does for a path
        return response.make_conditional(request, accept_ranges=True,
                                         complete_length=attachment.size)
    except RequestedRangeNotSatisfiable:
        response.close()
        raise


def _sandboxed(response, inline: bool):
    if inline:
        response.headers["Content-Security-Policy"] = INLINE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def handed_to_nginx(attachment, prefix: str, *, inline: bool = False):
    """The permission check is done; nginx sends the bytes from the upload folder (an
    `internal` location, deploy/nginx.conf) and answers ranges and revalidation itself.
    The headers here (type, attachment name, private caching) are the ones it keeps."""
    response = send_file(io.BytesIO(), as_attachment=not inline,
                         mimetype=attachment.content_type,
                         download_name=attachment.original_name, max_age=0,
                         conditional=False, etag=False)
    response.headers["X-Accel-Redirect"] = (prefix.rstrip("/") + "/"
                                            + validate_key(attachment.stored_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


# --- times -------------------------------------------------------------------------------

# One format for every exact time on every page (and the due-date field, which takes
# it as typed): 2026-12-01 21:04. Times are stored as naive UTC.
DATE_FORMAT = "%Y-%m-%d %H:%M"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def exact_time(value) -> str:
    """"2026-12-01 21:04 UTC" (the `|exact_time` filter)."""
    if not value:
        return ""
    return _aware(value).strftime(DATE_FORMAT) + " UTC"


def relative_time(value, now: datetime | None = None) -> str:
    """"just now", "5 min ago", "2 h ago", "3 d ago", "in 4 h"; past 30 days the date
    (the `|relative_time` filter)."""
    if not value:
        return ""
    now = _aware(now or datetime.now(UTC))
    seconds = (now - _aware(value)).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now" if not future else "in under a minute"
    for limit, size, unit in ((3600, 60, "min"), (86400, 3600, "h"), (30 * 86400, 86400, "d")):
        if seconds < limit:
            amount = f"{int(seconds // size)} {unit}"
            return f"in {amount}" if future else f"{amount} ago"
    return _aware(value).strftime("%Y-%m-%d")


# --- wiring ------------------------------------------------------------------------------

def too_many_attempts(error: TooManyAttempts):
    """A throttled request (sign-in, sign-up, a password check): the 429 page, with
    Retry-After."""
    refusal = TooManyRequests(description=error.message)
    response = current_app.make_response(current_app.handle_http_exception(refusal))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def init_app(app: Flask) -> None:
    """Before the blueprints: the `id` converter their routes use. Then the template
    filters and globals."""
    app.url_map.converters["id"] = IdConverter
    app.register_error_handler(TooManyAttempts, too_many_attempts)
    app.add_template_filter(status_label)
    app.add_template_filter(exact_time)
    app.add_template_filter(relative_time)
    app.add_template_global(preview_kind)
    app.add_template_filter(priority_label)
    app.add_template_global(ticket_url)
    app.add_template_global(attachment_url)
    app.add_template_filter(message_html)
    app.add_template_filter(description_html)
    app.add_template_global(staff_label)
    app.add_template_global(person_name)
    app.add_template_filter(event_name)
    app.add_template_filter(event_verb)
    app.add_template_global(account_label)
    app.add_template_global(delivery_state)
