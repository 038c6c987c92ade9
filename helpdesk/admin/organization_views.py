"""Organizations: name, e-mail domains, ticket sharing, and members by e-mail."""
from flask import flash, redirect, render_template, request
from flask_login import current_user

from ..services.errors import DomainError
from ..services.people import decisions as people
from ..services.people import organizations
from ..web import EmptyForm, form_status, paginate, refuse, show_refusal
from . import bp
from .forms import OrganizationForm, OrganizationMembersForm
from .handling import admin_url, edit_page, one_button

PAGE_SIZE = 50
MEMBERS_PAGE_SIZE = 50


def _organization(organization_id: int | None):
    if organization_id is None:
        return None
    try:
        return organizations.get(organization_id)
    except DomainError as error:
        refuse(error)


@bp.get("/organizations", endpoint="organizations")
def organizations_page():
    q = request.args.get("q", "").strip()[:100]
    page = paginate(organizations.organizations_query(q), PAGE_SIZE)
    return render_template("admin/organizations.html", page=page, q=q, form=EmptyForm(),
                           counts=organizations.member_counts(page.items))


@bp.route("/organizations/new", methods=["GET", "POST"], defaults={"organization_id": None})
@bp.route("/organizations/<id:organization_id>", methods=["GET", "POST"])
def edit_organization(organization_id: int | None):
    org = _organization(organization_id)
    form = OrganizationForm(data={"name": org.name, "domains": "\n".join(org.domain_names),
                                  "shares_tickets": org.shares_tickets} if org else None)

    def save():
        organizations.save_organization(current_user, org, name=form.name.data,
                                        domains=form.domains.data,
                                        shares_tickets=form.shares_tickets.data)
    return edit_page(form, save, done=f"Organization “{form.name.data}” is saved.",
                     back=admin_url("organizations"),
                     title=f"Edit {org.name}" if org else "New organization")


@bp.route("/organizations/<id:organization_id>/members", methods=["GET", "POST"])
def organization_members(organization_id: int):
    org = _organization(organization_id)
    form = OrganizationMembersForm()
    if form.validate_on_submit():
        try:
            joined = organizations.add_members(current_user, org, form.emails.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            names = ", ".join(u.name for u in joined)
            flash(f"Added to {org.name}: {names}." if joined
                  else "They are members already.", "success" if joined else "info")
            return redirect(admin_url("organization_members", organization_id=org.id))
    page = paginate(organizations.members_query(org), MEMBERS_PAGE_SIZE)
    return render_template("admin/organization_members.html", org=org, form=form,
                           page=page, remove_form=EmptyForm()), form_status(form)


@bp.post("/organizations/<id:organization_id>/members/<id:user_id>/remove")
def remove_organization_member(organization_id: int, user_id: int):
    org = _organization(organization_id)
    try:
        user = people.get_user(user_id)
    except DomainError as error:
        refuse(error)
    return one_button(lambda: organizations.remove_member(current_user, org, user),
                      done=f"{user.name} left {org.name}.",
                      back=admin_url("organization_members", organization_id=org.id))


@bp.post("/organizations/<id:organization_id>/delete")
def delete_organization(organization_id: int):
    org = _organization(organization_id)
    return one_button(lambda: organizations.delete_organization(current_user, org),
                      done=f"Organization “{org.name}” is deleted.",
                      back=admin_url("organizations"))
