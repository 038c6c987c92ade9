"""The admin console: statistics, people, reference data, audit log, ticket deletion.
The whole blueprint is guarded in before_request by the policy's console rules."""
from flask import Blueprint, request
from flask_login import login_fresh

from ..extensions import login_manager
from ..permissions import console_rule, require

bp = Blueprint("admin", __name__)


@bp.before_request
def require_fresh_console_access():
    """Whoever `permissions.console_rule` lets open this page (admins; approved agents
    too on the FAQ pages), signed in with a password in this session: a session restored
    from a "keep me signed in" cookie must confirm the password first."""
    refused = require(console_rule(request.endpoint))
    if refused is None and not login_fresh():
        return login_manager.needs_refresh()
    return refused

from . import (  # noqa: E402,F401
    mail_views,
    organization_views,
    people_views,
    reference_views,
    settings_views,
    tools_views,
    views,
    webhook_views,
)
