"""Errors as RFC 9457 problem details (`application/problem+json`): `type`, `title`,
`status`, `detail`, plus `errors` ({field: [messages]}) on 422 and `allowed` (the
statuses the caller may choose) when the workflow refuses a move.

Domain errors from the services map to status codes here, once: NotFound 404,
Forbidden 403, Unauthenticated 401, InvalidTransition and Conflict 409, InvalidInput 422.
"""
from http import HTTPStatus

from flask import jsonify
from werkzeug.exceptions import HTTPException

from ..services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)

PROBLEM_JSON = "application/problem+json"

# Service field names that the API calls differently.
FIELD_NAMES = {"customer_email": "requester", "attachments": "file", "ticket_ids": "number"}


class Problem(Exception):
    """Raised by the API's guard and views; answered as a problem document."""

    def __init__(self, status: int, detail: str | None = None, *, errors=None,
                 allowed=None, headers=None, code: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.errors, self.allowed, self.headers = errors, allowed, headers or {}


def problem_response(status: int, detail: str | None = None, *, errors=None, allowed=None,
                     headers=None, code: str | None = None):
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if code:  # a machine-readable reason, e.g. "otp_required"
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    if allowed is not None:
        body["allowed"] = [str(s) for s in allowed]
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


def from_domain_error(error: DomainError, *, allowed=None) -> Problem:
    """The problem a service's refusal stands for."""
    if isinstance(error, NotFound):
        return Problem(404, error.message)
    if isinstance(error, TooManyAttempts):
        return Problem(429, error.message, headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, Unauthenticated):
        return Problem(401, error.message, headers={"WWW-Authenticate": "Bearer"},
                       code=getattr(error, "code", None))
    if isinstance(error, Forbidden):
        return Problem(403, error.message)
    if isinstance(error, InvalidTransition | Conflict):
        return Problem(409, error.message, allowed=allowed)
    if isinstance(error, InvalidInput):
        field = FIELD_NAMES.get(error.field, error.field) if error.field else "_schema"
        return Problem(422, error.message, errors={field: [error.message]})
    return Problem(400, error.message)


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs' {"json": {"tags": {"0": ["Too long."]}}} → {"tags.0": ["Too long."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def from_http_exception(error: HTTPException):
    """Werkzeug's errors (and webargs' 422 with its messages) as problem documents."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        errors: dict[str, list[str]] = {}
        for _location, fields in data["messages"].items():  # json, query, files, form
            errors.update(flatten(fields))
        return problem_response(422, "Some fields are not valid.", errors=errors)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(status, error.description if status != 500 else
                            "Something went wrong on our side.", headers=headers)


def register(bp) -> None:
    """Every error of the blueprint answers as a problem document."""
    @bp.errorhandler(Problem)
    def handle_problem(error: Problem):
        return problem_response(error.status, error.detail, errors=error.errors,
                                allowed=error.allowed, headers=error.headers,
                                code=error.code)

    @bp.errorhandler(DomainError)
    @bp.errorhandler(TooManyAttempts)  # before the app's page for it (the MRO goes first)
    def handle_domain_error(error: DomainError):
        return handle_problem(from_domain_error(error))

    # Per code: Flask asks the app's per-code handlers (the HTML error pages) before a
    # blueprint's catch-all, so the blueprint claims each code itself.
    for code in (400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 428, 429, 500):
        bp.register_error_handler(code, from_http_exception)
