"""Accounts by mail: "Forgot password?", the sign-up address check, the account page
(mail preferences, a new address confirmed by a link sent to it)."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from ..extensions import limiter
from ..permissions import home_endpoint
from ..services.errors import InvalidInput
from ..services.mail import preferences
from ..services.people import accounts, mail_links
from . import bp
from .forms import ChangeEmailForm, MailPreferencesForm, NewPasswordForm, ResetRequestForm


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
        login_user(user)
        accounts.record_login(user)
        flash("Your password is changed and you are signed in. Other sessions are signed "
              "out.", "success")
        return redirect(url_for(home_endpoint(user)))
    return render_template("auth/reset_password.html", form=form), \
        400 if form.is_submitted() else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    user = mail_links.verify_email(token)
    if user is None:
        flash("This link has expired or is not valid. Sign in to get a new one.", "error")
        return redirect(url_for("auth.login"))
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


# --- the account page ----------------------------------------------------------------

def _preferences_form(formdata=None) -> MailPreferencesForm:
    form = MailPreferencesForm(formdata=formdata)
    form.events.choices = [(e.key, e.label) for e in preferences.events_for(current_user)]
    if formdata is None:
        form.events.data = preferences.enabled_keys(current_user)
    return form


def _account_page(prefs=None, email_form=None, status=200):
    return render_template(
        "auth/account.html", prefs=prefs or _preferences_form(),
        email_form=email_form or ChangeEmailForm(formdata=None),
        needs_verification=mail_links.needs_verification(current_user)), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/mail")
@login_required
def save_mail_preferences():
    form = _preferences_form(request.form)
    if not form.validate():
        return _account_page(prefs=form, status=400)
    preferences.set_mail_preferences(current_user, form.events.data or [])
    flash("Your mail settings are saved.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            mail_links.request_email_change(current_user, form.new_email.data,
                                            form.password.data)
        except InvalidInput as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(f"We sent a link to {accounts.normalize_email(form.new_email.data)}. "
                  "Your address changes when you open it.", "info")
            return redirect(url_for("auth.account"))
    return _account_page(email_form=form, status=400)
