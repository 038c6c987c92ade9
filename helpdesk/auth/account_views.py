"""The account page: one page with a section per feature — mail notifications and the
address (services/mail, people/mail_links), personal API tokens (people/tokens). Each
section's POST re-renders the whole page with its own form when it has errors."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..permissions import can_use_api
from ..services.errors import DomainError, NotFound
from ..services.mail import preferences
from ..services.people import accounts, mail_links, sessions, tokens, two_factor
from ..web import show_refusal
from . import bp
from .forms import ApiTokenForm, ChangeEmailForm, DisableTwoFactorForm, MailPreferencesForm
from .signing import current_web_session


def _preferences_form(formdata=None) -> MailPreferencesForm:
    form = MailPreferencesForm(formdata=formdata)
    form.events.choices = [(e.key, e.label) for e in preferences.events_for(current_user)]
    if formdata is None:
        form.events.data = preferences.enabled_keys(current_user)
    return form


def account_page(*, status: int = 200, prefs=None, email_form=None, token_form=None,
                 new_token: str | None = None, two_factor_form=None):
    """The page, with the form a POST brought back (errors next to its fields)."""
    page = render_template(
        "auth/account.html",
        prefs=prefs or _preferences_form(),
        email_form=email_form or ChangeEmailForm(formdata=None),
        needs_verification=mail_links.needs_verification(current_user),
        token_form=token_form or ApiTokenForm(formdata=None),
        tokens=tokens.personal_tokens(current_user), new_token=new_token,
        may_use_api=can_use_api(current_user),
        web_sessions=sessions.open_sessions(current_user),
        current_session=current_web_session(), device_label=sessions.device_label,
        two_factor_on=two_factor.is_enabled(current_user),
        two_factor_required=two_factor.admins_must_enrol() and current_user.is_admin,
        recovery_codes_left=two_factor.recovery_codes_left(current_user),
        two_factor_form=two_factor_form or DisableTwoFactorForm(formdata=None))
    return page, status, {"Cache-Control": "no-store"}  # a new token may be on it


@bp.get("/account")
@login_required
def account():
    return account_page()


# --- mail ------------------------------------------------------------------------------

@bp.post("/account/mail")
@login_required
def save_mail_preferences():
    form = _preferences_form(request.form)
    if not form.validate():
        return account_page(prefs=form, status=400)
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
        except DomainError as error:  # a wrong password, a taken address, throttled
            return account_page(email_form=form, status=show_refusal(form, error))
        flash(f"We sent a link to {accounts.normalize_email(form.new_email.data)}. "
              "Your address changes when you open it.", "info")
        return redirect(url_for("auth.account"))
    return account_page(email_form=form, status=400)


# --- personal API tokens ---------------------------------------------------------------

@bp.post("/account/tokens")
@login_required
def create_api_token():
    """A new personal API token, shown on the answer to this POST and never again (so
    not through a redirect and the session)."""
    form = ApiTokenForm()
    if not can_use_api(current_user):
        abort(403)
    if not form.validate():
        return account_page(token_form=form, status=400)
    try:
        _token, secret = tokens.create_personal_token(
            current_user, name=form.name.data, scopes=form.scopes,
            expires_in_days=form.expires_in_days)
    except DomainError as error:
        status = show_refusal(form, error, "write" if error.field == "scopes" else None)
        return account_page(token_form=form, status=status)
    return account_page(new_token=secret, status=201)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    try:
        token = tokens.revoke_personal_token(current_user, token_id)
    except NotFound:
        abort(404)
    flash(f"The token “{token.name}” is revoked.", "success")
    return redirect(url_for(".account"))


# --- signed-in sessions ----------------------------------------------------------------

@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def end_session(session_id: int):
    try:
        ended = sessions.end_session(current_user, session_id)
    except NotFound:
        abort(404)
    flash(f"The session on {sessions.device_label(ended.user_agent)} is ended.", "success")
    return redirect(url_for(".account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    ended = sessions.end_other_sessions(current_user, current_web_session())
    flash(f"{ended} other session{'s' if ended != 1 else ''} ended.", "success")
    return redirect(url_for(".account"))


# --- two-step sign-in (enrolment and the code step: two_factor_views) -------------------

@bp.post("/account/two-factor/disable")
@login_required
def disable_two_factor():
    form = DisableTwoFactorForm()
    if not form.validate():
        return account_page(two_factor_form=form, status=400)
    try:
        two_factor.disable(current_user, form.password.data)
    except DomainError as error:  # a wrong password (throttled), admins where required
        return account_page(two_factor_form=form, status=show_refusal(form, error))
    flash("Two-step sign-in is off.", "success")
    return redirect(url_for(".account"))
