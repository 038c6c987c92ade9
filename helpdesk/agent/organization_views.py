"""Organizations as agents see them: a list, and a page with the organization's people
(contact details) and its tickets. Admins change them in the console."""
from flask import abort, render_template, request

from ..extensions import db
from ..services.errors import NotFound
from ..services.people import organizations
from ..web import paginate
from . import bp

PAGE_SIZE = 25
PEOPLE_SHOWN = 100


def _organization(organization_id: int):
    try:
        return organizations.get(organization_id)
    except NotFound:
        abort(404)


@bp.get("/organizations")
def organizations_list():
    q = request.args.get("q", "").strip()[:100]
    page = paginate(organizations.organizations_query(q), 50)
    return render_template("agent/organizations.html", page=page, q=q,
                           counts=organizations.member_counts(page.items))


@bp.get("/organizations/<id:organization_id>")
def organization(organization_id: int):
    org = _organization(organization_id)
    people = db.paginate(organizations.members_query(org), page=1, per_page=PEOPLE_SHOWN,
                         error_out=False)
    tickets = paginate(organizations.tickets_query(org), PAGE_SIZE)
    return render_template("agent/organization.html", org=org, people=people,
                           tickets=tickets)
