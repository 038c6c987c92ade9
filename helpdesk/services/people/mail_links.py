"""Links sent by mail: password reset, sign-up address verification, address change.

Each link carries a token signed with SECRET_KEY (itsdangerous) that expires
(PASSWORD_RESET_MAX_AGE, EMAIL_LINK_MAX_AGE) and works once: it names the state it was
made for (the password hash and session nonce for a reset, the current address for an
address change), and using it changes that state. Asking for a reset does the same work
and answers the same whether or not the address has an account.
"""
import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Ticket, User, utcnow
from .. import audit
from ..errors import InvalidInput
from ..mail.outbox import AUTO_GENERATED, mail_enabled, queue_mail, render, site_url
from ..unit_of_work import unit_of_work
from . import accounts

RESET_SALT = "helpdesk.password-reset"
VERIFY_SALT = "helpdesk.verify-email"
CHANGE_SALT = "helpdesk.change-email"
LINK_EXPIRED = "This link has expired or was already used. Ask for a new one."


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _state(*parts: str) -> str:
    """A short digest of what a link was made for; the link dies when it changes."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def _load(salt: str, token: str, max_age: int) -> dict | None:
    try:
        data = _serializer(salt).loads(token or "", max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def _proved_address(user: User) -> None:
    """A link mailed to the address was opened: it works, and it is this person's."""
    user.email_verified_at = user.email_verified_at or utcnow()
    user.email_failing_since = None
    user.email_failure = None


# --- password reset ------------------------------------------------------------------

def _reset_state(user: User) -> str:
    return _state(str(user.id), user.password_hash, user.session_nonce)


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"u": user.id, "s": _reset_state(user)})


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address. The caller shows the
    same page either way; the work done here is the same too (a token made, the mail
    rendered), so timing tells a stranger nothing either."""
    user = accounts.find_by_email(email or "")
    if user is None or not user.is_active:
        stand_in = User(id=0, name="", email="", password_hash="", session_nonce="")
        link = site_url("auth.reset_password", token=reset_token(stand_in))
        render("password_reset", user=stand_in, name="", reset_link=link)
        return
    with unit_of_work():
        queue_mail(kind="password_reset", to=user, template="password_reset",
                   subject="Reset your password", auto=AUTO_GENERATED,
                   reset_link=site_url("auth.reset_password", token=reset_token(user)))


def user_for_reset(token: str) -> User | None:
    """The account a reset link is for, while the link is fresh and unused."""
    data = _load(RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if data is None:
        return None
    user = db.session.get(User, data.get("u") or 0)
    if user is None or not user.is_active or data.get("s") != _reset_state(user):
        return None
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set the new password; the link dies with the old hash, and the new session nonce
    signs out every other session."""
    user = user_for_reset(token)
    if user is None:
        raise InvalidInput(LINK_EXPIRED, field="new_password")
    with unit_of_work():
        accounts.set_password(user, new_password)
        _proved_address(user)
        audit.record(None, user, "password_reset", subject_user=user)
    return user


# --- sign-up verification ------------------------------------------------------------

def needs_verification(user: User) -> bool:
    """A customer who signed up on the web proves the address before their first portal
    ticket; a ticket they opened by mail counts as proof. Without outgoing mail no link
    could arrive, so nobody is asked."""
    if not (user.is_customer and user.email_verified_at is None):
        return False
    if not (current_app.config["REQUIRE_EMAIL_VERIFICATION"] and mail_enabled()):
        return False
    opened_by_mail = db.session.scalar(select(exists().where(
        Ticket.requester_id == user.id, Ticket.channel == "mail")))
    return not opened_by_mail


def send_verification(user: User) -> None:
    """Queue the link (in the caller's unit of work, or its own)."""
    token = _serializer(VERIFY_SALT).dumps({"u": user.id, "e": user.email})
    with unit_of_work():
        queue_mail(kind="verify_email", to=user, template="verify_email",
                   subject="Confirm your e-mail address", address=user.email,
                   verify_link=site_url("auth.verify_email", token=token))


def verify_email(token: str) -> tuple[User | None, bool]:
    """The account a sign-up link confirms, and whether this opening confirmed it (the
    first one: the caller may sign the person in, as a reset link does — later openings
    only say it is confirmed)."""
    data = _load(VERIFY_SALT, token, current_app.config["EMAIL_LINK_MAX_AGE"])
    user = db.session.get(User, data.get("u") or 0) if data else None
    if user is None or user.email != data.get("e"):
        return None, False
    first = user.email_verified_at is None
    with unit_of_work():
        _proved_address(user)
    return user, first


# --- changing one's address ----------------------------------------------------------

def request_email_change(user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; nothing changes until it is opened."""
    new_email = accounts.normalize_email(new_email)
    accounts.check_current_password(user, password, field="password",
                                    message="The password is not correct.")
    if new_email == user.email:
        raise InvalidInput("This is already your address.", field="new_email")
    if accounts.find_by_email(new_email) is not None:
        raise InvalidInput(accounts.DUPLICATE_EMAIL, field="new_email")
    token = _serializer(CHANGE_SALT).dumps(
        {"u": user.id, "old": user.email, "new": new_email})
    with unit_of_work():
        queue_mail(kind="change_email", to=new_email, name=user.name, template="verify_email",
                   subject="Confirm your new e-mail address", address=new_email, change=True,
                   verify_link=site_url("auth.confirm_email_change", token=token))


def confirm_email_change(token: str) -> User:
    data = _load(CHANGE_SALT, token, current_app.config["EMAIL_LINK_MAX_AGE"])
    user = db.session.get(User, data.get("u") or 0) if data else None
    if user is None or user.email != data.get("old"):
        raise InvalidInput(LINK_EXPIRED)
    if accounts.find_by_email(data["new"]) is not None:
        raise InvalidInput(accounts.DUPLICATE_EMAIL)
    old = user.email
    try:
        with unit_of_work():
            user.email = data["new"]
            user.email_verified_at = None
            _proved_address(user)
            audit.record(None, user, "email_changed", old=old, new=user.email,
                         subject_user=user)
            queue_mail(kind="email_changed", to=old, name=user.name, template="notice",
                       subject="Your e-mail address was changed",
                       text=f"The e-mail address of your account is now {user.email}. "
                            "If you did not do this, reset your password and contact us.")
    except IntegrityError:
        raise InvalidInput(accounts.DUPLICATE_EMAIL) from None
    return user
