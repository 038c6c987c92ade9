"""The admin console: statistics, people, reference data, audit log, ticket deletion.
Admins only: the whole blueprint is guarded in before_request."""
from flask import Blueprint, request
from flask_login import login_fresh

from ..extensions import login_manager
from ..permissions import is_admin, is_staff, require

bp = Blueprint("admin", __name__)


# product.md: "admins and agents edit" the FAQ; the rest of the console is admins'.
STAFF_ENDPOINTS = frozenset({"admin.faq", "admin.edit_faq", "admin.delete_faq"})


@bp.before_request
def require_fresh_admin():
    """Admins only (approved agents too on the FAQ pages), and signed in with a password
    in this session: a session restored from a "keep me signed in" cookie must confirm
    the password first."""
    refused = require(is_staff if request.endpoint in STAFF_ENDPOINTS else is_admin)
    if refused is None and not login_fresh():
        return login_manager.needs_refresh()
    return refused

from . import mail_views, people_views, reference_views, settings_views, views  # noqa: E402,F401
