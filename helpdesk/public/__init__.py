"""Pages for everyone: the landing page, the FAQ, and a signed-in user's notifications."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import preview_views, views  # noqa: E402,F401
