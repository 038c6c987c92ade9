"""Sign in, sign out, customer sign-up and agent applications."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import account_views, mail_views, two_factor_views, views  # noqa: E402,F401  (routes register on bp)
