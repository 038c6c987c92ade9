"""The admin console: statistics, people, reference data, audit log, ticket deletion.
Admins only: the whole blueprint is guarded in before_request."""
from flask import Blueprint

from ..permissions import guard_blueprint, is_admin

bp = Blueprint("admin", __name__)
guard_blueprint(bp, is_admin)

from . import people_views, reference_views, settings_views, views  # noqa: E402,F401
