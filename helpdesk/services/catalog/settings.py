"""Settings admins change at run time: the ticket prefix and the auto-close period.
Until an admin saves one, the configuration's value applies."""
import re

from flask import current_app

from ...extensions import db
from ...models import Setting, User
from .. import audit
from ..errors import InvalidInput
from ..unit_of_work import unit_of_work
from . import cache
from .admin import require_admin

PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,11}")
MAX_AUTOCLOSE_DAYS = 365


def setting_value(key: str) -> str | None:
    """The saved value, or None while the configuration's default applies (from the
    process cache, checked against the catalog version once per request)."""
    return cache.catalog().settings.get(key)


def autoclose_days() -> int:
    """Resolved tickets close after this many days; 0 turns auto-close off."""
    value = setting_value("autoclose_days")
    try:
        return int(value) if value is not None else int(current_app.config["AUTOCLOSE_DAYS"])
    except ValueError:
        return int(current_app.config["AUTOCLOSE_DAYS"])


def save_settings(admin: User, *, ticket_prefix: str, autoclose_days: int) -> None:
    """The prefix applies to new tickets only; numbers already given never change."""
    require_admin(admin)
    prefix = (ticket_prefix or "").strip()
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise InvalidInput("Use 1 to 12 letters, digits, - or _, starting with a letter "
                           "or digit, e.g. TKT-.", field="ticket_prefix")
    if not isinstance(autoclose_days, int) or not 0 <= autoclose_days <= MAX_AUTOCLOSE_DAYS:
        raise InvalidInput(f"Use 0 (off) to {MAX_AUTOCLOSE_DAYS} days.",
                           field="autoclose_days")
    with unit_of_work():
        for key, value in (("ticket_prefix", prefix), ("autoclose_days", str(autoclose_days))):
            row = db.session.get(Setting, key)
            if row is not None and row.value == value:
                continue
            audit.record(None, admin, "setting_changed", field=key,
                         old=row.value if row else None, new=value)
            if row is None:
                db.session.add(Setting(key=key, value=value))
            else:
                row.value = value


def ticket_prefix() -> str:
    """The prefix for new tickets: the admin setting, else configuration."""
    return setting_value("ticket_prefix") or current_app.config["TICKET_PREFIX"]
