"""The admin console: statistics, people, reference data, audit log, ticket deletion.
Admins only: the whole blueprint is guarded in before_request."""
from flask import Blueprint
from flask_login import login_fresh

from ..extensions import login_manager
from ..permissions import is_admin, require

bp = Blueprint("admin", __name__)


@bp.before_request
def require_fresh_admin():
    """Admins only, and signed in with a password in this session: a session restored
    from a "keep me signed in" cookie must confirm the password first."""
    refused = require(is_admin)
    if refused is None and not login_fresh():
        return login_manager.needs_refresh()
    return refused

from . import people_views, reference_views, settings_views, views  # noqa: E402,F401
