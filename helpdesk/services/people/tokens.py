"""API credentials: signing in for tokens, refreshing them, personal API tokens.

Three kinds of secret, told apart by their prefix:
- access tokens (a JWT, signed with a key derived from SECRET_KEY): short-lived, never
  stored; they carry the user's session nonce, so a new password, a suspension or a
  deactivation (each changes the nonce) ends them at once;
- refresh tokens (`hdr_…`): stored hashed, used once — each refresh hands out a new
  pair; a refresh token used twice revokes every refresh token of that person (a copy
  is in someone else's hands);
- personal API tokens (`hdp_…`): made on the account page with a name and scopes, shown
  once, stored hashed, revoked by their owner; bound to the nonce like the others.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt
from flask import current_app
from sqlalchemy import delete, or_, select, update

from ... import permissions
from ...extensions import db
from ...models import ApiToken, TokenKind, User, utcnow
from .. import audit
from ..errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from . import accounts, two_factor
from .accounts import record_login

SCOPES = ("read", "write")
PERSONAL_PREFIX = "hdp_"
REFRESH_PREFIX = "hdr_"
MAX_PERSONAL_TOKENS = 20
EXPIRY_CHOICES = (30, 90, 365)  # days; None: until revoked
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write a minute per token
REPLAY_WINDOW = timedelta(days=7)  # spent refresh tokens are kept this long to spot reuse
BAD_CREDENTIALS = "Wrong e-mail or password."
DEAD_TOKEN = "The token is invalid, expired or revoked."  # noqa: S105 (a message)
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    """Who is calling the API, and what their token allows."""
    user: User
    scopes: frozenset[str]
    token_id: int | None = None   # the personal token, None for an access token

    @property
    def rate_limit_key(self) -> str:
        return f"token:{self.token_id}" if self.token_id else f"user:{self.user.id}"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signing_key() -> bytes:
    """A key of its own for access tokens, derived from the app's secret key."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"helpdesk-api-access",
                    hashlib.sha256).digest()


def _refuse_unless_allowed(user: User) -> None:
    if not permissions.can_use_api(user):
        if user.is_pending_agent:
            raise Forbidden("This agent account is waiting for an administrator's approval.")
        raise Forbidden("This account is not active. Contact an administrator.")


# --- signing in and refreshing -----------------------------------------------------------

def sign_in(email: str, password: str, address: str | None,
            otp: str | None = None) -> TokenPair:
    """E-mail and password (and the second factor's code when the person has one) for an
    access token and a refresh token; throttled like the sign-in page."""
    user = accounts.sign_in(email or "", password or "", address)
    if user is None:
        raise Unauthenticated(BAD_CREDENTIALS)
    _refuse_unless_allowed(user)
    two_factor.verify_for_api(user, otp)
    with unit_of_work():
        record_login(user)
        return _issue_pair(user)


def refresh(refresh_token: str) -> TokenPair:
    """A refresh token for a new pair; the old refresh token is spent."""
    digest = _hash(refresh_token or "")
    now = utcnow()
    with unit_of_work():
        # Conditional UPDATE: of two refreshes with one token, exactly one wins.
        spent = db.session.execute(
            update(ApiToken).where(ApiToken.token_hash == digest,
                                   ApiToken.kind == TokenKind.REFRESH,
                                   ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
            .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest,
                                                       ApiToken.kind == TokenKind.REFRESH))
        if row is not None and not spent and row.revoked_at is not None:
            _revoke_refresh_tokens(row.user_id, now)  # replayed: assume it was stolen
        if row is None or not spent or row.user_nonce != row.user.session_nonce:
            pair = None
        else:
            _refuse_unless_allowed(row.user)
            pair = _issue_pair(row.user)
    if pair is None:
        raise Unauthenticated(DEAD_TOKEN)
    return pair


def _revoke_refresh_tokens(user_id: int, now) -> None:
    db.session.execute(update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind == TokenKind.REFRESH,
        ApiToken.revoked_at.is_(None)).values(revoked_at=now))


def _issue_pair(user: User) -> TokenPair:
    """Inside the caller's unit of work: a new refresh token row (expired ones of this
    person, and those spent more than REPLAY_WINDOW ago, are swept), and a signed access
    token."""
    now = utcnow()
    config = current_app.config
    db.session.execute(delete(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.kind == TokenKind.REFRESH,
        or_(ApiToken.expires_at <= now, ApiToken.revoked_at <= now - REPLAY_WINDOW)))
    secret = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(
        user_id=user.id, kind=TokenKind.REFRESH, token_hash=_hash(secret),
        scopes=" ".join(SCOPES), user_nonce=user.session_nonce, created_at=now,
        expires_at=now + timedelta(days=config["API_REFRESH_TOKEN_DAYS"])))
    return TokenPair(access_token=access_token_for(user),
                     expires_in=int(config["API_ACCESS_TOKEN_SECONDS"]), refresh_token=secret)


def access_token_for(user: User) -> str:
    """A signed, short-lived access token with both scopes (no password asked: callers
    have already checked who this is)."""
    now = utcnow()
    lifetime = int(current_app.config["API_ACCESS_TOKEN_SECONDS"])
    return jwt.encode({"sub": str(user.id), "nonce": user.session_nonce,
                       "scope": " ".join(SCOPES), "typ": "access", "iat": now,
                       "exp": now + timedelta(seconds=lifetime)},
                      _signing_key(), algorithm=_ALGORITHM)


# --- who is calling ----------------------------------------------------------------------

def identify(bearer: str) -> Caller | None:
    """The caller a bearer token stands for, or None when it is not (or no longer) valid.
    Whether the account may use the API is asked separately (`can_use_api`)."""
    bearer = (bearer or "").strip()
    if not bearer or len(bearer) > 2048:
        return None
    if bearer.startswith(PERSONAL_PREFIX):
        return _personal_caller(bearer)
    if bearer.startswith(REFRESH_PREFIX):
        return None  # only good for POST /auth/refresh
    try:
        claims = jwt.decode(bearer, _signing_key(), algorithms=[_ALGORITHM],
                            options={"require": ["exp", "sub", "nonce", "typ"]})
    except jwt.InvalidTokenError:
        return None
    user_id = parse_id(claims.get("sub"))
    user = db.session.get(User, user_id) if user_id and claims["typ"] == "access" else None
    if user is None or not hmac.compare_digest(str(claims["nonce"]), user.session_nonce):
        return None
    scopes = frozenset(str(claims.get("scope", "")).split()) & frozenset(SCOPES)
    return Caller(user=user, scopes=scopes)


def _personal_caller(secret: str) -> Caller | None:
    now = utcnow()
    row = db.session.execute(
        select(ApiToken, User).join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _hash(secret), ApiToken.kind == TokenKind.PERSONAL)
    ).first()
    if row is None:
        return None
    token, user = row
    if (token.revoked_at is not None or (token.expires_at and token.expires_at <= now)
            or token.user_nonce != user.session_nonce):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        with unit_of_work():
            db.session.execute(update(ApiToken).where(ApiToken.id == token.id)
                               .values(last_used_at=now))
    return Caller(user=user, scopes=frozenset(token.scope_list), token_id=token.id)


# --- personal API tokens (the account page) ----------------------------------------------

def personal_tokens(user: User) -> list[ApiToken]:
    """This person's tokens that still work (or would, until they expire), newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id,
                               ApiToken.kind == TokenKind.PERSONAL,
                               ApiToken.revoked_at.is_(None),
                               ApiToken.user_nonce == user.session_nonce)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_personal_token(user: User, *, name: str, scopes, expires_in_days: int | None
                          ) -> tuple[ApiToken, str]:
    """A named token with scopes; returns the row and the secret (shown once)."""
    _refuse_unless_allowed(user)
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise InvalidInput("Give the token a name of up to 80 characters.", field="name")
    chosen = [s for s in SCOPES if s in set(scopes or ())]
    if not chosen or len(chosen) != len(set(scopes)):
        raise InvalidInput("Choose read, write or both.", field="scopes")
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES:
        raise InvalidInput("Choose one of the listed periods.", field="expires")
    if len(personal_tokens(user)) >= MAX_PERSONAL_TOKENS:
        raise InvalidInput(f"You have {MAX_PERSONAL_TOKENS} tokens: revoke one first.",
                           field="name")
    now = utcnow()
    secret = PERSONAL_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work():
        token = ApiToken(user_id=user.id, kind=TokenKind.PERSONAL, name=name,
                         token_hash=_hash(secret), scopes=" ".join(chosen),
                         user_nonce=user.session_nonce, created_at=now,
                         expires_at=now + timedelta(days=expires_in_days)
                         if expires_in_days else None)
        db.session.add(token)
        audit.record(None, user, "api_token_created", note=name, new=" ".join(chosen),
                     subject_user=user)
    return token, secret


def revoke_personal_token(user: User, token_id) -> ApiToken:
    """The owner revokes one of their tokens; someone else's is "not found"."""
    row_id = parse_id(token_id)
    token = db.session.get(ApiToken, row_id) if row_id else None
    if (token is None or token.user_id != user.id or token.kind != TokenKind.PERSONAL
            or token.revoked_at is not None):
        raise NotFound("No such token.")
    with unit_of_work():
        token.revoked_at = utcnow()
        audit.record(None, user, "api_token_revoked", note=token.name, subject_user=user)
    return token
