"""The customer portal: my tickets, new ticket, the ticket page."""
from flask import Blueprint

from ..permissions import guard_blueprint, is_customer

bp = Blueprint("portal", __name__)
guard_blueprint(bp, is_customer)

from . import views  # noqa: E402,F401
