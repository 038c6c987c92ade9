from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_fresh, login_required

from ..permissions import home_endpoint, is_pending_agent
from ..services.errors import DomainError
from ..services.people import accounts, sessions, two_factor
from ..web import form_status, local_url, show_refusal
from . import bp
from .forms import (
    AgentApplicationForm,
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
)
from .signing import begin_second_step, end_session, remembered, start_session

BAD_LOGIN = "Wrong e-mail or password."


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Throttled in the service (accounts.sign_in): per account and address, per
    address, and a slower path per account; a refusal is the 429 page."""
    if current_user.is_authenticated and login_fresh():
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.sign_in(form.email.data, form.password.data, request.remote_addr)
        if user is None:
            form.password.errors.append(BAD_LOGIN)
        elif not user.is_active:
            form.email.errors.append("This account is not active. Contact an administrator.")
        elif two_factor.is_enabled(user):
            begin_second_step(user, remember=form.remember.data,
                              next_url=local_url(request.args.get("next")))
            return redirect(url_for("auth.second_step"))
        else:
            start_session(user, remember=form.remember.data)
            return redirect(local_url(request.args.get("next"))
                            or url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    end_session()
    flash("You are signed out.", "info")
    return redirect(url_for("public.index"))


def _signed_up(user, email: str, *, applying: bool = False):
    """The answer to a sign-up: "check your mail" for every address when sign-up is
    answered by mail (a taken one's owner was mailed instead); else signed in."""
    if accounts.answers_sign_up_by_mail():
        return render_template("auth/check_mail.html", email=accounts.normalize_email(email),
                               applying=applying)
    start_session(user)
    if applying:
        return redirect(url_for("auth.pending"))
    flash("Welcome! Your account is ready.", "success")
    return redirect(url_for("portal.tickets"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Every session of this person ends, this one included (and their API tokens)."""
    sessions.sign_out_everywhere(current_user)
    end_session()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_customer(name=form.name.data, email=form.email.data,
                                              password=form.password.data,
                                              address=request.remote_addr)
        except DomainError as error:
            status = show_refusal(form, error)
            return render_template("auth/register.html", form=form), status
        return _signed_up(user, form.email.data)
    return render_template("auth/register.html", form=form), form_status(form)


@bp.route("/register/agent", methods=["GET", "POST"])
def register_agent():
    form = AgentApplicationForm()
    if form.validate_on_submit():
        try:
            user = accounts.apply_as_agent(
                name=form.name.data, email=form.email.data, password=form.password.data,
                contact_number=form.contact_number.data, address=request.remote_addr)
        except DomainError as error:
            status = show_refusal(form, error)
            return render_template("auth/register_agent.html", form=form), status
        return _signed_up(user, form.email.data, applying=True)
    return render_template("auth/register_agent.html", form=form), form_status(form)


@bp.get("/pending")
@login_required
def pending():
    """Agents waiting for approval see this and nothing of the queue."""
    if not is_pending_agent(current_user):
        return redirect(url_for(home_endpoint(current_user)))
    return render_template("auth/pending.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except DomainError as error:  # wrong current password (throttled: 429)
            status = show_refusal(form, error)
            return render_template("auth/password.html", form=form), status
        else:
            # Every session ended with the old password; this one goes on as a new one.
            start_session(current_user._get_current_object(), remember=remembered())
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(url_for(home_endpoint(current_user)))
    return render_template("auth/password.html", form=form), form_status(form)
