"""Starting and ending a signed-in web session, the same way everywhere (sign-in, the
second factor, sign-up, a new password, sign-out).

A change of privilege rotates everything: the cookie session is emptied (its CSRF
secret with it, so a token minted before is refused after) and a new server-side
session record is started (services/people/sessions.py), whose secret the cookies carry.
"""
import time

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user

from ..extensions import login_manager
from ..services.people import accounts, sessions


@login_manager.user_loader
def load_user(session_key: str):
    """The session cookie (or the "keep me signed in" cookie) holds a server-side
    session's secret: an ended session (sign-out, "sign out everywhere", a new password,
    a suspension or deactivation) or an account that may not sign in is refused at the
    next request, on every process."""
    resumed = sessions.resume(session_key)
    if resumed is None:
        return None
    g.web_session = resumed.session
    resumed.user.web_session_key = session_key
    return resumed.user


def current_web_session():
    """The server-side record of this request's signed-in session, if any."""
    if not current_user.is_authenticated:
        return None
    return g.get("web_session")


def _new_cookie_session() -> None:
    """Empty the cookie session and forget this request's CSRF token: the next form
    gets a token of a new secret, and one minted before no longer validates."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_session(user, *, remember: bool = False) -> None:
    """A new session for `user`; one this browser had (a remembered sign-in confirmed
    again) ends."""
    sessions.end(current_web_session())
    _new_cookie_session()
    user.web_session_key = sessions.start(user, address=request.remote_addr,
                                          user_agent=request.user_agent.string)
    login_user(user, remember=remember)
    accounts.record_login(user)


PENDING = "two_factor_pending"


def begin_second_step(user, *, remember: bool, next_url: str | None) -> None:
    """The password was right and the person has a second factor: not signed in yet. The
    cookie session remembers who is half-way (for TWO_FACTOR_PENDING_SECONDS) and is
    rotated again once the code is right."""
    _new_cookie_session()
    session[PENDING] = {"u": user.id, "s": user.session_nonce, "r": bool(remember),
                        "n": next_url, "t": int(time.time())}


def pending_second_step() -> dict | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    age = time.time() - pending.get("t", 0)
    if age > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return pending


def end_session() -> None:
    sessions.end(current_web_session())
    _new_cookie_session()
    logout_user()  # after clear(): it leaves the note that deletes the remember cookie


def remembered() -> bool:
    """Whether this browser was kept signed in (a new session keeps that choice)."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
