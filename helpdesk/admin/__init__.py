"""The admin console: statistics, people, reference data, audit log, ticket deletion.
The whole blueprint is guarded in before_request by the policy's console rules."""
from flask import Blueprint, request

from ..permissions import console_rule, require

bp = Blueprint("admin", __name__)


@bp.before_request
def require_fresh_console_access():
    """Whoever `permissions.console_rule` lets open this page (admins; approved agents
    too on the FAQ pages), signed in with a password in this session: a session restored
    from a "keep me signed in" cookie must confirm the password first."""
    return require(console_rule(request.endpoint), action="console")

from . import (  # noqa: E402,F401
    mail_views,
    organization_views,
    people_views,
    reference_views,
    settings_views,
    views,
    webhook_views,
)
