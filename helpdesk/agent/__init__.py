"""The agent queue and ticket workspace, for approved agents and admins."""
from flask import Blueprint

from ..permissions import guard_blueprint, is_staff

bp = Blueprint("agent", __name__)
guard_blueprint(bp, is_staff)

from . import views  # noqa: E402,F401
