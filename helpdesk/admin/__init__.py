"""The admin console."""
from flask import Blueprint

from ..permissions import guard_blueprint, is_admin

bp = Blueprint("admin", __name__)
guard_blueprint(bp, is_admin)

from . import views  # noqa: E402,F401
