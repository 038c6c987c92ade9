"""Two-step sign-in: the code after the password, enrolment (QR code, confirming code,
recovery codes shown once) and turning it off (services/people/two_factor.py)."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..permissions import home_endpoint
from ..services.errors import DomainError
from ..services.people import accounts, two_factor
from ..web import form_status, local_url, show_refusal
from . import bp
from .forms import TwoFactorForm
from .signing import PENDING, pending_second_step, remembered, start_session

SETUP_SECRET = "two_factor_setup"  # noqa: S105 (the session key's name)
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/two-factor", methods=["GET", "POST"])
def second_step():
    """After the right password: the code from the app (or a recovery code)."""
    pending = pending_second_step()
    user = accounts.find_pending_sign_in(pending["u"], pending["s"]) if pending else None
    if user is None:
        flash("Sign in again: the step for the code took too long.", "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            kind = two_factor.verify(user, form.code.data)
        except DomainError as error:  # a wrong code (400), too many (429)
            status = show_refusal(form, error)
            return render_template("auth/two_factor.html", form=form), status
        session.pop(PENDING, None)
        start_session(user, remember=pending["r"])
        if kind == "recovery":
            left = two_factor.recovery_codes_left(user)
            flash(f"You used a recovery code; {left} left. Each works only once.", "info")
        return redirect(local_url(pending.get("n")) or url_for(home_endpoint(user)))
    return render_template("auth/two_factor.html", form=form), form_status(form)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """A new secret as a QR code and as text; a code from the app confirms it."""
    if two_factor.is_enabled(current_user):
        return redirect(url_for("auth.account"))
    form = TwoFactorForm()
    secret = session.get(SETUP_SECRET)
    if form.validate_on_submit() and secret:
        try:
            codes = two_factor.enable(current_user, secret, form.code.data)
        except DomainError as error:
            status = show_refusal(form, error)
            return _setup_page(form, secret, status)
        user = current_user._get_current_object()
        start_session(user, remember=remembered())  # a change of privilege: rotate
        return render_template("auth/recovery_codes.html", codes=codes,
                               next_url=local_url(request.args.get("next"))), 200, NO_STORE
    if not secret or not form.is_submitted():
        secret = session[SETUP_SECRET] = two_factor.new_secret()
    return _setup_page(form, secret, form_status(form))


def _setup_page(form, secret: str, status: int):
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("auth/two_factor_setup.html", form=form, secret=secret,
                           qr_code=two_factor.qr_code(uri),
                           required=two_factor.must_enrol(current_user)), status, NO_STORE
