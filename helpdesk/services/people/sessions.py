"""Web sessions kept on the server (models/sessions.py).

A sign-in starts a session record and hands back a random secret; the session cookie
(and the "keep me signed in" cookie, which carries the same value) holds `s:<secret>`.
Every request looks the record up — one query on a unique index, joined to its person —
and refuses it once ended, idle too long, or its person may no longer sign in. The
"last seen" time is written at most once a minute per session.

Ending: sign-out ends one; the account page ends one or all others; a new password, a
suspension, a rejection or a deactivation end all of them (`end_everywhere`, which also
changes the person's session nonce, so their API tokens die with them).
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ...extensions import db
from ...models import User, UserSession, utcnow
from ...models.users import new_session_nonce
from .. import audit
from ..errors import NotFound
from ..unit_of_work import unit_of_work

PREFIX = "s:"
TOUCH_EVERY = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user: User, *, address: str | None, user_agent: str | None) -> str:
    """A new session for `user`: returns the value the cookie carries."""
    secret = secrets.token_urlsafe(32)
    with unit_of_work():
        db.session.add(UserSession(user_id=user.id, token_hash=_hash(secret),
                                   ip_address=(address or "")[:45] or None,
                                   user_agent=(user_agent or "")[:300] or None))
    return PREFIX + secret


@dataclass(frozen=True)
class Resumed:
    session: UserSession
    user: User


def _max_idle() -> timedelta:
    return timedelta(days=current_app.config["SESSION_MAX_IDLE_DAYS"])


def resume(value: str | None) -> Resumed | None:
    """The open session a cookie value stands for, with its person; None when there is
    none (ended, idle for too long, an old-style cookie) or the person may not sign in."""
    if not value or not value.startswith(PREFIX) or len(value) > 100:
        return None
    row = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(value[len(PREFIX):]),
               UserSession.ended_at.is_(None))).first()
    if row is None:
        return None
    session, user = row
    now = utcnow()
    if not user.is_active or session.last_seen_at < now - _max_idle():
        return None
    if session.last_seen_at < now - TOUCH_EVERY:
        _touch(session, now)
    return Resumed(session, user)


def _touch(session: UserSession, now: datetime) -> None:
    with unit_of_work():
        session.last_seen_at = now


def end(session: UserSession | None) -> None:
    """Sign-out: this one session ends."""
    if session is None or session.ended_at is not None:
        return
    with unit_of_work():
        session.ended_at = utcnow()


def end_everywhere(user: User) -> int:
    """Inside the caller's unit of work: every open session of `user` ends, and so do
    their API tokens (the nonce they were made with changes). Returns how many ended."""
    user.session_nonce = new_session_nonce()
    return _end_where(UserSession.user_id == user.id)


def _end_where(*conditions) -> int:
    result = db.session.execute(
        update(UserSession).where(*conditions, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def sign_out_everywhere(user: User) -> int:
    """The person's own "sign out everywhere" (this device included)."""
    with unit_of_work():
        ended = end_everywhere(user)
        audit.record(None, user, "signed_out_everywhere", subject_user=user,
                     note=f"{ended} sessions ended")
    return ended


# --- the account page's list -------------------------------------------------------------

def open_sessions(user: User) -> list[UserSession]:
    """The person's open sessions, most recently used first (idle-expired ones left out)."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None),
                                  UserSession.last_seen_at >= utcnow() - _max_idle())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()).limit(100)))


def end_session(user: User, session_id: int) -> UserSession:
    """End one of the person's own sessions (someone else's is "not found")."""
    session = db.session.scalar(select(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id,
        UserSession.ended_at.is_(None)))
    if session is None:
        raise NotFound("No such session.")
    with unit_of_work():
        session.ended_at = utcnow()
        audit.record(None, user, "session_ended", subject_user=user,
                     note=f"session {session.id} ({device_label(session.user_agent)})")
    return session


def end_other_sessions(user: User, current: UserSession | None) -> int:
    with unit_of_work():
        conditions = [UserSession.user_id == user.id]
        if current is not None:
            conditions.append(UserSession.id != current.id)
        ended = _end_where(*conditions)
        audit.record(None, user, "other_sessions_ended", subject_user=user,
                     note=f"{ended} sessions ended")
    return ended


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def device_label(user_agent: str | None) -> str:
    """"Firefox on Windows" from a User-Agent header; "Unknown device" when it says
    nothing we know (a script, curl: shown as they call themselves)."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), None)
    system = next((name for marker, name in _SYSTEMS if marker in text), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return text.split(" ", 1)[0][:40] or "Unknown device"
