from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_fresh, login_required, login_user, logout_user

from ..extensions import limiter
from ..permissions import home_endpoint, is_pending_agent
from ..services.errors import DomainError
from ..services.people import accounts, mail_links
from ..web import form_status, local_url, show_refusal
from . import bp
from .forms import (
    AgentApplicationForm,
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
)

BAD_LOGIN = "Wrong e-mail or password."


def _login_email_key() -> str:
    return "login:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=_failed, error_message="Too many sign-in attempts.")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               key_func=_login_email_key, deduct_when=_failed,
               error_message="Too many sign-in attempts.")
def login():
    if current_user.is_authenticated and login_fresh():
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(BAD_LOGIN)
        elif not user.is_active:
            form.email.errors.append("This account is not active. Contact an administrator.")
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            return redirect(local_url(request.args.get("next"))
                            or url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_customer(name=form.name.data, email=form.email.data,
                                              password=form.password.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            login_user(user)
            if mail_links.needs_verification(user):
                flash(f"Welcome! We sent a link to {user.email}: open it to confirm your "
                      "address before your first ticket.", "success")
            else:
                flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("portal.tickets"))
    return render_template("auth/register.html", form=form), form_status(form)


@bp.route("/register/agent", methods=["GET", "POST"])
def register_agent():
    form = AgentApplicationForm()
    if form.validate_on_submit():
        try:
            user = accounts.apply_as_agent(
                name=form.name.data, email=form.email.data, password=form.password.data,
                contact_number=form.contact_number.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            login_user(user)
            return redirect(url_for("auth.pending"))
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
        except DomainError as error:
            show_refusal(form, error)
        else:
            login_user(current_user._get_current_object())  # session id has the new nonce
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(url_for(home_endpoint(current_user)))
    return render_template("auth/password.html", form=form), form_status(form)
