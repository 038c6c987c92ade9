"""Signing in for tokens, refreshing them, and who the caller is."""
from flask import request

from .. import permissions
from ..services.people import tokens
from . import bp, errors, present
from .access import PUBLIC, access, caller_user, current_caller
from .schemas import MeSchema, RefreshRequestSchema, TokenRequestSchema, TokenSchema

PUBLIC_CALL: list = []  # OpenAPI: no security requirement


def _pair(pair: tokens.TokenPair) -> dict:
    return {"access_token": pair.access_token, "token_type": "Bearer",
            "expires_in": pair.expires_in, "refresh_token": pair.refresh_token}


@bp.route("/auth/token", tags=["Auth"], methods=["POST"])
@access(PUBLIC)
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema)
@errors(400, 401, 403, 422, 429)
@bp.doc(security=PUBLIC_CALL)
def token(credentials):
    """Sign in: e-mail and password for an access token and a refresh token

    Throttled like the sign-in page. With two-step sign-in on, `otp` is needed too
    (401 with `code` "otp_required" when missing, "otp_invalid" when wrong). Accounts
    that may not use the API (pending, rejected or suspended agents, deactivated
    customers) are refused with 403.
    """
    return _pair(tokens.sign_in(credentials["email"], credentials["password"],
                                request.remote_addr, otp=credentials.get("otp")))


@bp.route("/auth/refresh", tags=["Auth"], methods=["POST"])
@access(PUBLIC)
@bp.arguments(RefreshRequestSchema)
@bp.response(200, TokenSchema)
@errors(400, 401, 403, 422, 429)
@bp.doc(security=PUBLIC_CALL)
def refresh(body):
    """Refresh: a refresh token (used once) for a new pair"""
    return _pair(tokens.refresh(body["refresh_token"]))


@bp.route("/me", tags=["Auth"], methods=["GET"])
@access(permissions.can_use_api)
@bp.response(200, MeSchema)
@errors(401, 403, 429)
def me():
    """The caller"""
    user = caller_user()
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role,
            "agent_status": user.agent_status,
            "organization": present.ref(user.organization),
            "scopes": sorted(current_caller().scopes)}
