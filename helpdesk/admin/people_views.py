"""Agents (applications, suspensions, promotions, teams) and customer accounts."""
from flask import render_template, request
from flask_login import current_user

from ..services.catalog import admin as reference
from ..services.errors import DomainError
from ..services.people import decisions as people
from ..services.people import two_factor
from ..web import EmptyForm, choices, paginate, refuse
from . import bp
from .forms import AgentTeamsForm, CustomerSearchForm
from .handling import admin_url, edit_page, one_button, posted_form

PAGE_SIZE = 50


def _person(user_id: int):
    try:
        return people.get_user(user_id)
    except DomainError as error:
        refuse(error)


def _back_to(endpoint: str) -> str:
    """The list page the action came from, with its search and page kept."""
    keep = {k: v for k, v in request.args.items() if k in ("q", "page") and v}
    return admin_url(endpoint, **keep)


# --- agents ------------------------------------------------------------------------------

@bp.get("/agents")
def agents():
    page = paginate(people.staff_query(), PAGE_SIZE)
    return render_template("admin/agents.html", pending=people.pending_agents(), page=page,
                           form=EmptyForm())


AGENT_DECISIONS = {
    "approve": (people.approve_agent, "{name} is approved and can now work the queue."),
    "reject": (people.reject_agent, "{name}'s application is rejected."),
    "suspend": (people.suspend_agent, "{name} is suspended and signed out."),
    "reactivate": (people.reactivate_agent, "{name} is active again."),
    "promote": (people.promote_to_admin, "{name} is now an admin."),
}


def _agent_decision(decision: str, user_id: int):
    user = _person(user_id)
    decide, done = AGENT_DECISIONS[decision]
    return one_button(lambda: decide(current_user, user), done=done.format(name=user.name),
                      back=_back_to("agents"))


@bp.post("/agents/<id:user_id>/approve")
def approve_agent(user_id: int):
    return _agent_decision("approve", user_id)


@bp.post("/agents/<id:user_id>/reject")
def reject_agent(user_id: int):
    return _agent_decision("reject", user_id)


@bp.post("/agents/<id:user_id>/suspend")
def suspend_agent(user_id: int):
    return _agent_decision("suspend", user_id)


@bp.post("/agents/<id:user_id>/reactivate")
def reactivate_agent(user_id: int):
    return _agent_decision("reactivate", user_id)


@bp.post("/agents/<id:user_id>/promote")
def promote_agent(user_id: int):
    return _agent_decision("promote", user_id)


@bp.route("/agents/<id:user_id>/teams", methods=["GET", "POST"])
def agent_teams(user_id: int):
    user = _person(user_id)
    form = AgentTeamsForm(posted_form(), teams=[t.id for t in user.teams])
    form.teams.choices = choices((t.id, t.name) for t in reference.teams())
    return edit_page(form, lambda: people.set_agent_teams(current_user, user, form.teams.data),
                     done=f"{user.name}'s teams are saved.", back=admin_url("agents"),
                     title=f"Teams of {user.name}", submit_label="Save teams")


# --- customers ---------------------------------------------------------------------------

@bp.get("/customers")
def customers():
    search = CustomerSearchForm(request.args)
    term = search.q.data if search.validate() else None
    page = paginate(people.customers_query(term), PAGE_SIZE)
    return render_template("admin/customers.html", search=search, page=page,
                           form=EmptyForm())


@bp.post("/customers/<id:user_id>/deactivate")
def deactivate_customer(user_id: int):
    user = _person(user_id)
    return one_button(lambda: people.deactivate_customer(current_user, user),
                      done=f"{user.name} is deactivated and signed out.",
                      back=_back_to("customers"))


@bp.post("/customers/<id:user_id>/reactivate")
def reactivate_customer(user_id: int):
    user = _person(user_id)
    return one_button(lambda: people.reactivate_customer(current_user, user),
                      done=f"{user.name} can sign in again.", back=_back_to("customers"))


# --- two-step sign-in --------------------------------------------------------------------

@bp.post("/people/<id:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    """Someone lost their phone: their second factor is removed (audited, they are told)."""
    user = _person(user_id)
    back = _back_to("customers" if user.is_customer else "agents")
    return one_button(lambda: two_factor.reset(current_user, user),
                      done=f"{user.name}'s two-step sign-in is reset.", back=back)
