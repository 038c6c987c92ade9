"""Accounts by mail: "Forgot password?", the sign-up address check, and the links that
confirm an address (the account page's mail section is in account_views)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import limiter
from ..permissions import home_endpoint
from ..services.errors import InvalidInput
from ..services.people import accounts, mail_links
from . import bp
from .forms import NewPasswordForm, ResetRequestForm
from .signing import start_session


def _reset_email_key() -> str:
    return "reset:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


TOO_MANY = "Too many requests. Wait a few minutes, then try again."


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], error_message=TOO_MANY)
@limiter.limit(_reset_limit, methods=["POST"], key_func=_reset_email_key,
               error_message=TOO_MANY)
def request_reset():
    """The same answer whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        mail_links.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/reset_request.html", form=form), \
        400 if form.is_submitted() else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if mail_links.user_for_reset(token) is None:
        return render_template("auth/reset_expired.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = mail_links.reset_password(token, form.new_password.data)
        except InvalidInput:
            return render_template("auth/reset_expired.html"), 400
        start_session(user)
        flash("Your password is changed and you are signed in. Other sessions are signed "
              "out.", "success")
        return redirect(url_for(home_endpoint(user)))
    return render_template("auth/reset_password.html", form=form), \
        400 if form.is_submitted() else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    user, first = mail_links.verify_email(token)
    if user is None:
        flash("This link has expired or is not valid. Sign in to get a new one.", "error")
        return redirect(url_for("auth.login"))
    if first and not current_user.is_authenticated and user.is_active:
        # Sign-up answers "check your mail" without signing in (a taken address must get
        # the same answer); the first opening of the link finishes it, like a reset link.
        start_session(user)
        flash(f"Thank you: {user.email} is confirmed, and you are signed in.", "success")
        return redirect(url_for(home_endpoint(user)))
    flash(f"Thank you: {user.email} is confirmed.", "success")
    target = home_endpoint(current_user) if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))


@bp.post("/verify/resend")
@login_required
@limiter.limit(_reset_limit, error_message=TOO_MANY)
def resend_verification():
    if current_user.email_verified_at is None:
        mail_links.send_verification(current_user)
    flash(f"We sent a new link to {current_user.email}.", "info")
    return redirect(url_for("portal.new_ticket" if current_user.is_customer
                            else "auth.account"))


@bp.get("/email/<token>")
def confirm_email_change(token: str):
    try:
        user = mail_links.confirm_email_change(token)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("auth.login"))
    flash(f"Your e-mail address is now {user.email}.", "success")
    return redirect(url_for("auth.account" if current_user.is_authenticated else "auth.login"))
