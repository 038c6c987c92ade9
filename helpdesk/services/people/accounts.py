"""Accounts: sign-up, agent applications, sign-in, passwords."""
import secrets
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models import AgentStatus, Role, User, utcnow
from .. import audit, notifications
from ..errors import InvalidInput
from ..mail.outbox import mail_enabled, queue_mail
from ..unit_of_work import unit_of_work
from . import mail_links, organizations, sessions, throttle
from .directory import active_admins

DUPLICATE_EMAIL = "An account with this e-mail address already exists. Sign in instead."


def normalize_email(email: str) -> str:
    """E-mail addresses are unique case-insensitively: we store them lower-cased."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _new_user(*, name: str, email: str, password: str, role: Role, verified: bool = True,
              **extra) -> User:
    if find_by_email(email) is not None:
        raise InvalidInput(DUPLICATE_EMAIL, field="email")
    user = User(name=name.strip(), email=normalize_email(email),
                password_hash=hash_password(password), role=role, **extra)
    db.session.add(user)
    if not verified:  # None would let the column default fire: unset after the INSERT
        db.session.flush()
        user.email_verified_at = None
    return user


def answers_sign_up_by_mail() -> bool:
    """Whether sign-up answers every address the same way ("check your mail"): when
    addresses are verified by mail. A taken address's owner is then mailed instead, so
    the page tells a stranger nothing. Without outgoing mail no such answer is possible;
    a taken address is then refused on the form (and sign-ups are throttled)."""
    return bool(current_app.config["REQUIRE_EMAIL_VERIFICATION"]) and mail_enabled()


SIGN_UP_THROTTLED = "Too many sign-ups from your network. Try again in an hour."


def _throttle_sign_up(address: str | None) -> None:
    key = f"signup:{address or 'unknown'}"
    throttle.check_attempts("SIGNUP_RATE_LIMIT", key, SIGN_UP_THROTTLED, field="email")
    throttle.count("SIGNUP_RATE_LIMIT", key)


def _taken(email: str) -> None:
    """Someone signed up with an address that has an account: its owner hears of it."""
    owner = find_by_email(email)
    if owner is None:
        return
    with unit_of_work():
        queue_mail(kind="sign_up_attempt", to=owner, template="notice",
                   subject="Someone tried to sign up with your address",
                   text="Someone tried to create an account on the helpdesk with this "
                        "e-mail address, which already has one. If it was you, sign in "
                        "(or use \"Forgot password?\"). If not, you need not do anything.")


@contextmanager
def _new_account(email: str):
    """One new account, all or nothing. A taken address (also when two sign-ups race
    and the unique index decides) is refused — or, when sign-up is answered by mail,
    answered like a new one while its owner is mailed (`TakenAddress` is caught by the
    caller)."""
    try:
        with unit_of_work():
            yield
    except (IntegrityError, _TakenAddress):
        if not answers_sign_up_by_mail():
            raise InvalidInput(DUPLICATE_EMAIL, field="email") from None
        _taken(email)
        raise _TakenAddress from None


class _TakenAddress(Exception):
    """Internal: the address has an account (see _new_account)."""


def _check_free(email: str) -> None:
    if find_by_email(email) is not None:
        raise _TakenAddress


def register_customer(*, name: str, email: str, password: str,
                      address: str | None = None) -> User | None:
    """A customer's own sign-up (throttled per address): one whose address's domain
    belongs to an organization joins it; the address is unproven until the mailed link
    is opened (mail_links.needs_verification says when that matters). Returns None when
    the address was taken and sign-up is answered by mail (its owner got a mail)."""
    _throttle_sign_up(address)
    try:
        with _new_account(email):
            _check_free(email)
            user = _new_user(name=name, email=email, password=password,
                             role=Role.CUSTOMER, verified=False)
            organizations.join_by_domain(user)
            mail_links.send_verification(user)
    except _TakenAddress:
        return None
    return user


def new_customer_from_mail(*, email: str, name: str | None) -> User:
    """A customer account for someone who wrote to support (inside the caller's unit of
    work): unverified, with a password nobody knows ("Forgot password?" sets one), and a
    member of the organization their address's domain belongs to, where there is one."""
    display = " ".join((name or "").split())[:120] or email.partition("@")[0][:120]
    user = _new_user(name=display, email=email, password=secrets.token_urlsafe(32),
                     role=Role.CUSTOMER, verified=False)
    organizations.join_by_domain(user)
    return user


def apply_as_agent(*, name: str, email: str, password: str, contact_number: str,
                   address: str | None = None) -> User | None:
    """An agent account starts pending; an admin approves or rejects it. Throttled and
    answered like a sign-up (None: the address was taken, its owner got a mail); the
    address is verified by the mailed link when sign-up is answered by mail."""
    _throttle_sign_up(address)
    by_mail = answers_sign_up_by_mail()
    try:
        with _new_account(email):
            _check_free(email)
            user = _new_user(name=name, email=email, password=password, role=Role.AGENT,
                             agent_status=AgentStatus.PENDING, verified=not by_mail,
                             contact_number=contact_number.strip())
            db.session.flush()
            audit.record(None, user, "agent_applied", subject_user=user)
            notifications.notify(active_admins(), None, "agent_applied",
                                 f"{user.name} applied for an agent account.", actor=user)
            if by_mail:
                mail_links.send_verification(user)
    except _TakenAddress:
        return None
    return user


# Verifying against this when the e-mail is unknown costs one hash run, as a real check
# does, so response time does not reveal which addresses have accounts. Made once per
# method (not per call: that would make unknown addresses pay twice).
_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not-a-password", method=method)
    return _DUMMY_HASH[method]


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def sign_in(email: str, password: str, address: str | None) -> User | None:
    """The account for this e-mail and password, or None; throttled per (account,
    address), per address and — a slower path, not a wall — per account (throttle.py).
    Raises throttle.TooManyAttempts before checking anything while a limit holds."""
    throttle.check_sign_in(email, address)
    user = authenticate(email, password)
    if user is None:
        if throttle.sign_in_failed(email, address):
            _tell_owner_about_failed_sign_ins(email)
        return None
    return user


FAILED_SIGN_INS = ("Several wrong passwords were tried on your account in a short time. "
                   "If that was not you, nothing is needed: the attempts are slowed down. "
                   "If you use this password elsewhere, change it.")


def _tell_owner_about_failed_sign_ins(email: str) -> None:
    """A burst of failures for an existing account: tell its owner, once per burst."""
    user = find_by_email(email)
    if user is None:
        return
    with unit_of_work():
        audit.record(None, None, "sign_in_failures", subject_user=user,
                     note="The account went over its failed sign-in limit.")
        notifications.notify([user], None, "sign_in_failures", FAILED_SIGN_INS)


def find_pending_sign_in(user_id, nonce) -> User | None:
    """The person half-way through a two-step sign-in, while that still stands (the
    account is active and its password has not changed since)."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or user.session_nonce != nonce:
        return None
    return user


def record_login(user: User) -> None:
    with unit_of_work():
        user.last_login_at = utcnow()


def set_password(user: User, password: str) -> None:
    """New password: every session and API token of this person ends (the caller
    starts a new session for the one who changed it)."""
    user.password_hash = hash_password(password)
    sessions.end_everywhere(user)


PASSWORD_CHECKS_THROTTLED = "Too many wrong passwords. Wait a few minutes, then try again."  # noqa: S105


def check_current_password(user: User, password: str, *, field: str,
                           message: str = "The current password is not correct.") -> None:
    """A signed-in person confirming their password (a new password, a new address):
    wrong guesses are throttled per person, so a borrowed session cannot try them all."""
    key = f"password-check:{user.id}"
    throttle.check_attempts("PASSWORD_CHECK_RATE_LIMIT", key, PASSWORD_CHECKS_THROTTLED,
                            field=field)
    if not check_password_hash(user.password_hash, password or ""):
        throttle.count("PASSWORD_CHECK_RATE_LIMIT", key)
        raise InvalidInput(message, field=field)


def change_password(user: User, current: str, new: str) -> None:
    check_current_password(user, current, field="current_password")
    with unit_of_work():
        set_password(user, new)


def create_admin(*, email: str, password: str, name: str | None = None) -> tuple[User, bool]:
    """Create the first admin, or make an existing account admin (safe to run twice)."""
    with unit_of_work():  # all of it or nothing: no half-promoted account
        user = find_by_email(email)
        created = user is None
        if created:
            user = User(email=normalize_email(email), name=name or "Administrator")
            db.session.add(user)
        elif name:
            user.name = name
        user.role = Role.ADMIN
        user.agent_status = None
        user.active = True
        user.password_hash = hash_password(password)
    return user, created
