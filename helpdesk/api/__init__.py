"""JSON API v1 (/api/v1): everything the portal, queue and console do, for programs.

The same services and the same policy as the pages decide; this package only parses
(schemas.py), calls one service, and shapes the answer (present.py). flask-smorest
turns the schemas into /api/v1/openapi.json; /api/docs shows it (docs.py).
"""
import time
from http import HTTPStatus

from flask import Flask, current_app
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..extensions import csrf, limiter
from ..services.ids import MAX_ID
from ..web import IdConverter
from . import access, problems
from .parsing import ApiBlueprint
from .schemas import ProblemSchema

bp = ApiBlueprint("api", __name__, description="Helpdesk JSON API v1")
ROW_ID = "id"  # a URL's row id, 1 to 2^31-1 (web.IdConverter): anything else is a 404
bp.before_request(access.guard)
problems.register(bp)

# One budget per caller for the whole API (see access.rate_limit_key); sign-in has its
# own, tighter limits on top (token_views.py).
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=access.rate_limit_key,
              error_message="Too many requests.")(bp)


@bp.after_request
def rate_limit_headers(response):
    """RateLimit-Limit / -Remaining / -Reset (seconds) on every answer, Retry-After on
    429 (IETF draft "RateLimit header fields for HTTP")."""
    current = limiter.current_limit if current_app.config.get("RATELIMIT_ENABLED") else None
    if current is not None:
        reset = max(0, int(current.reset_at - time.time()))
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(current.remaining)
        response.headers["RateLimit-Reset"] = str(reset)
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, reset))
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


def errors(*codes: int):
    """Document the problem documents an operation may answer with (besides "default")."""
    def decorate(view):
        for code in codes:
            view = bp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view
    return decorate


class HelpdeskApi(Api):
    """flask-smorest's Api, with errors documented as problem documents and handled by
    the blueprint alone (smorest would install a JSON handler for the whole site)."""
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # problems.register(bp) answers the API's errors; pages keep theirs

    def _register_responses(self):
        for code in (400, 401, 403, 404, 409, 412, 413, 422, 429):
            status = HTTPStatus(code)
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


API_SPEC_OPTIONS = {
    "info": {"description": (
        "Everything the portal, queue and console do. Authenticate with "
        "`POST /api/v1/auth/token` (or a personal API token from your account page) and "
        "send `Authorization: Bearer <token>`. Errors are `application/problem+json`.")},
    "components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "An access token or a personal API token."}}},
    "security": [{"bearerAuth": []}],
    "tags": [
        {"name": "Auth", "description": "Tokens, and who you are."},
        {"name": "Tickets", "description": "Lists, opening, changing, the workflow."},
        {"name": "Conversation", "description": "Replies, internal notes and files."},
        {"name": "Reference", "description": "Categories and the FAQ."},
        {"name": "Statistics", "description": "The dashboard's figures (staff)."},
        {"name": "People", "description": "Agent applications (admins)."},
    ],
}


def init_app(app: Flask) -> None:
    """Register the API and its documentation on the app (one spec per app)."""
    app.config.setdefault("API_TITLE", "Helpdesk API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_SPEC_OPTIONS", API_SPEC_OPTIONS)
    api = HelpdeskApi(app)
    api.register_converter(IdConverter, lambda _converter: {
        "type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.register_blueprint(bp, url_prefix="/api/v1")
    csrf.exempt(bp)  # bearer tokens only: no cookie, nothing to forge
    app.register_blueprint(docs.bp, url_prefix="/api")


from . import docs, flow_views, message_views, reference_views, ticket_views, token_views  # noqa: E402,F401,I001
