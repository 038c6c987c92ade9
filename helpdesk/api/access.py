"""Who is calling and what they may call: the guard in front of every API view.

Bearer tokens only (no session cookie, so no CSRF surface). The guard runs before
every view of the blueprint and refuses, in this order:
- a body that is not what the view reads (400: not JSON / not multipart; 413: too big);
- no valid token (401), an account that may not use the API (403: pending agents);
- a token without the scope the method needs (403: GET needs "read", writes "write");
- a role the view does not admit (403; a customer asking about a ticket number gets
  404, as on the pages, so numbers cannot be probed).
Every view declares who it admits with `@access(...)`; a view that does not is refused
to everyone (fail closed), and a test checks that none is missing.
"""
from collections.abc import Callable

from flask import current_app, request

from .. import permissions
from ..models import User
from ..services.people import tokens
from .problems import Problem

PUBLIC = "public"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON, MULTIPART = "json", "multipart"


def access(rule: str | Callable[[User], bool], *, body: str | None = JSON):
    """Declare who may call a view: PUBLIC, or a policy predicate such as
    `permissions.can_use_api` (anyone with API access), `permissions.is_staff`,
    `permissions.is_admin`. `body`: what a write sends (JSON, MULTIPART or None)."""
    def decorate(view):
        view.api_access = rule
        view.api_body = body
        return view
    return decorate


def _view_attribute(name: str):
    view = current_app.view_functions.get(request.endpoint)
    target = getattr(view, "view_class", None)
    if target is not None:  # a MethodView: the method's own declaration
        view = getattr(target, request.method.lower(), None)
    return getattr(view, name, None)


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_CALLER = "helpdesk.api_caller"


def current_caller() -> tokens.Caller | None:
    """The caller the request's bearer token stands for, looked up once per request
    (kept in the request's environ: the rate limiter asks first, then the guard)."""
    environ = request.environ
    if _CALLER not in environ:
        token = bearer_token()
        environ[_CALLER] = tokens.identify(token) if token else None
    return environ[_CALLER]


def caller_user() -> User:
    """The signed-in caller of a guarded view."""
    return request.environ[_CALLER].user


def rate_limit_key() -> str:
    """Per personal token, per person for access tokens, per address when signed out."""
    caller = current_caller()
    if caller is not None:
        return caller.rate_limit_key
    return f"address:{request.remote_addr}"


def _check_body(kind: str | None) -> None:
    if request.method in READ_METHODS or kind is None:
        return
    if kind == MULTIPART:
        if request.mimetype != "multipart/form-data":
            raise Problem(400, "Send the files as multipart/form-data.")
        return
    request.max_content_length = current_app.config["API_MAX_JSON_BYTES"]
    if not request.content_length and not request.is_json:
        return  # no body at all: fine for calls that need none (take, delete)
    if not request.is_json:
        raise Problem(400, "Send the body as JSON (Content-Type: application/json).")
    if request.get_data(cache=True):
        try:
            request.get_json()  # malformed JSON: a 400 now, before anything else
        except RecursionError:  # nested deeper than the parser goes
            raise Problem(400, "The JSON body is nested too deeply.") from None


def guard():
    rule = _view_attribute("api_access")
    _check_body(_view_attribute("api_body") if rule is not None else JSON)
    if rule == PUBLIC:
        return None
    caller = current_caller()
    if caller is None:
        raise Problem(401, "Send a valid token: Authorization: Bearer <token>.",
                      headers={"WWW-Authenticate": 'Bearer realm="helpdesk"'})
    user = caller.user
    if not permissions.can_use_api(user):
        raise Problem(403, "This account may not use the API.")
    scope = "read" if request.method in READ_METHODS else "write"
    if scope not in caller.scopes:
        raise Problem(403, f'This token lacks the "{scope}" scope.', headers={
            "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
    if rule is None or not rule(user):
        if user.is_customer and "number" in (request.view_args or {}):
            raise Problem(404, "Ticket not found.")
        raise Problem(403, "Your role may not do this.")
    return None
