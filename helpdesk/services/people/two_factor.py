"""Two-step sign-in: a TOTP authenticator app (RFC 6238, 30-second codes), or one of
ten single-use recovery codes.

- Enrolment: a new secret is shown as a QR code drawn on the server (SVG) and as text;
  it is kept only once a code from the app confirms it. Then ten recovery codes are
  made, shown once, and only their keyed hashes stored.
- Checking: a code from the current step or the one before or after (clock drift), and
  only a step after the last one used — so an overheard code cannot be replayed. Wrong
  codes are throttled per person (TWO_FACTOR_RATE_LIMIT).
- Required for admins when REQUIRE_ADMIN_2FA is on (default: in production); offered to
  everyone else. An admin can reset someone else's second factor (audited; the person is
  told).
"""
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select

from ...extensions import db
from ...models import RecoveryCode, User, utcnow
from .. import audit, notifications
from ..errors import Forbidden, InvalidInput, Unauthenticated
from ..unit_of_work import unit_of_work
from . import accounts, throttle

ISSUER = "Helpdesk"
RECOVERY_CODES = 10
STEP_SECONDS = 30
DRIFT_STEPS = 1
WRONG_CODE = ("That code is not right. Enter the 6-digit code your app shows now, or a "
              "recovery code.")
THROTTLED = "Too many wrong codes. Wait a few minutes, then try again."


class SecondFactorNeeded(Unauthenticated):
    """The password was right; a code is needed too (`code`: why, for API clients)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, field="otp")
        self.code = code


# --- who needs it ------------------------------------------------------------------------

def is_enabled(user: User) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def admins_must_enrol() -> bool:
    setting = current_app.config.get("REQUIRE_ADMIN_2FA")
    if setting is None:  # not set: on in production
        return current_app.config.get("ENV") == "production"
    return bool(setting)


def must_enrol(user: User) -> bool:
    """An admin without a second factor, where admins need one: the console waits."""
    return user.is_admin and admins_must_enrol() and not is_enabled(user)


# --- enrolment ---------------------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The otpauth:// URI as an SVG data URI (an <img> the CSP allows: img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _recovery_hash(code: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"helpdesk-recovery-codes",
                   hashlib.sha256).digest()
    return hmac.new(key, _normalize(code).encode(), hashlib.sha256).hexdigest()


def _normalize(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    """Inside the caller's unit of work: ten new codes replace any old ones."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, shown as xxxxx-xxxxx
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)))
    return codes


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step whose code this is (current ± drift), if later than `after`."""
    digits = _normalize(code)
    if not re.fullmatch(r"\d{6}", digits):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(
                totp.generate_otp(step), digits):
            return step
    return None


def enable(user: User, secret: str, code: str) -> list[str]:
    """Confirm enrolment with a code from the app; returns the recovery codes (shown
    once). Throttled like every code check."""
    _check_throttle(user)
    step = _matching_step(secret or "", code, None)
    if step is None:
        _count_failure(user)
        raise InvalidInput(WRONG_CODE, field="code")
    with unit_of_work():
        user.totp_secret = secret
        user.totp_enabled_at = utcnow()
        user.totp_last_step = step
        codes = _new_recovery_codes(user)
        audit.record(None, user, "two_factor_enabled", subject_user=user)
    return codes


def disable(user: User, password: str) -> None:
    """The person turns it off, with their password; admins keep it where required."""
    if user.is_admin and admins_must_enrol():
        raise Forbidden("Admins must keep two-step sign-in on.")
    accounts.check_current_password(user, password, field="password",
                                    message="The password is not correct.")
    with unit_of_work():
        _clear(user)
        audit.record(None, user, "two_factor_disabled", subject_user=user)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(admin: User, user: User) -> None:
    """An admin resets someone else's second factor (a lost phone): audited, and the
    person is told; they enrol again at their next visit."""
    if not admin.is_admin:
        raise Forbidden("Only admins reset two-step sign-in.")
    if admin.id == user.id:
        raise Forbidden("You cannot reset your own two-step sign-in here.")
    if not is_enabled(user):
        raise InvalidInput(f"{user.name} has no two-step sign-in to reset.")
    with unit_of_work():
        _clear(user)
        audit.record(None, admin, "two_factor_reset", subject_user=user)
        notifications.notify([user], None, "two_factor_reset",
                             "An administrator reset your two-step sign-in. Set it up "
                             "again from your account page. If you did not ask for this, "
                             "contact your administrator.", actor=admin)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- signing in --------------------------------------------------------------------------

def _throttle_key(user: User) -> str:
    return f"two-factor:{user.id}"


def _check_throttle(user: User) -> None:
    throttle.check_attempts("TWO_FACTOR_RATE_LIMIT", _throttle_key(user), THROTTLED,
                            field="code")


def _count_failure(user: User) -> None:
    throttle.count("TWO_FACTOR_RATE_LIMIT", _throttle_key(user))


def verify(user: User, code: str) -> str:
    """Check the second step of a sign-in: "totp" or "recovery" for a good code, else
    InvalidInput (or TooManyAttempts). A TOTP code works once; a recovery code too."""
    _check_throttle(user)
    if not is_enabled(user):
        raise InvalidInput(WRONG_CODE, field="code")
    with unit_of_work():
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return "totp"
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash == _recovery_hash(code)).with_for_update())
        if recovery is not None:
            recovery.used_at = utcnow()
            audit.record(None, user, "recovery_code_used", subject_user=user,
                         note=f"{recovery_codes_left(user)} left")
            return "recovery"
    _count_failure(user)
    audit_failure(user)
    raise InvalidInput(WRONG_CODE, field="code")


def audit_failure(user: User) -> None:
    with unit_of_work():
        audit.record(None, user, "two_factor_failed", subject_user=user)


def verify_for_api(user: User, otp: str | None) -> None:
    """The token endpoint: a person with two-step sign-in sends `otp` with the password."""
    if not is_enabled(user):
        return
    if not otp:
        raise SecondFactorNeeded("This account uses two-step sign-in: send the code from "
                                 "the authenticator app (or a recovery code) as `otp`.",
                                 code="otp_required")
    try:
        verify(user, otp)
    except InvalidInput:
        raise SecondFactorNeeded(WRONG_CODE, code="otp_invalid") from None
