"""The agent queue and ticket workspace, for approved agents and admins."""
from flask import Blueprint, abort, request
from flask_login import current_user

from ..permissions import is_customer, is_staff, require

bp = Blueprint("agent", __name__)
PROBED = frozenset({"number", "user_id"})  # a ticket's or a person's page: 404 for customers


@bp.before_request
def guard():
    """Staff only. A customer asking for a ticket URL gets 404, as for any ticket they
    may not see (numbers cannot be probed); elsewhere 403; signed out → sign in."""
    if is_customer(current_user) and PROBED.intersection(request.view_args or {}):
        abort(404)
    return require(is_staff)


from . import (  # noqa: E402,F401
    customer_views,
    flow_views,
    mail_views,
    organization_views,
    ticket_views,
    views,
)
