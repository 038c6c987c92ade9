"""The admin console: statistics, people, reference data, audit log, ticket deletion.
The whole blueprint is guarded in before_request by the policy's console rules."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..permissions import console_rule, require
from ..services.people import two_factor

bp = Blueprint("admin", __name__)


@bp.before_request
def require_fresh_console_access():
    """Whoever `permissions.console_rule` lets open this page (admins; approved agents
    too on the FAQ pages), signed in with a password in this session: a session restored
    from a "keep me signed in" cookie must confirm the password first. An admin without
    a second factor, where admins need one, sets it up before the console opens."""
    refused = require(console_rule(request.endpoint), action="console")
    if refused is None and two_factor.must_enrol(current_user):
        flash("Set up two-step sign-in to open the console.", "info")
        return redirect(url_for("auth.two_factor_setup", next=request.full_path
                                if request.method == "GET" else None))
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
