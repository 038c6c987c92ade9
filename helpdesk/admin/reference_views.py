"""Reference data: categories, teams, FAQ entries and canned replies."""
from flask import render_template
from flask_login import current_user

from ..models import CannedReply, Category, FaqEntry, Team
from ..services.catalog import admin as reference
from ..services.errors import DomainError
from ..services.people import decisions as people
from ..services.people.directory import staff_members
from ..web import EmptyForm, choices, refuse
from . import bp
from .forms import CannedReplyForm, CategoryForm, FaqForm, MembersForm, TeamForm
from .handling import admin_url, edit_page, one_button, posted_form

NO_CHOICE = (None, "— none —")


def _row(model, row_id: int | None):
    if row_id is None:
        return None
    try:
        return reference.get(model, row_id)
    except DomainError as error:
        refuse(error)


# --- categories --------------------------------------------------------------------------

@bp.get("/categories")
def categories():
    return render_template("admin/categories.html", categories=reference.categories(),
                           form=EmptyForm())


@bp.post("/categories/<id:category_id>/move-up", defaults={"direction": "up"})
@bp.post("/categories/<id:category_id>/move-down", defaults={"direction": "down"})
def move_category(category_id: int, direction: str):
    category = _row(Category, category_id)
    return one_button(lambda: reference.move_category(current_user, category, direction),
                      done=f"“{category.name}” moved {direction}.",
                      back=admin_url("categories"))


@bp.route("/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/categories/<id:category_id>", methods=["GET", "POST"])
def edit_category(category_id: int | None):
    category = _row(Category, category_id)
    form = CategoryForm(obj=category)
    form.default_team_id.choices = choices(
        [NO_CHOICE] + [(t.id, t.name) for t in reference.teams()])

    def save():
        reference.save_category(current_user, category, name=form.name.data,
                                description=form.description.data, active=form.active.data,
                                default_team_id=form.default_team_id.data,
                                mail_address=form.mail_address.data)
    return edit_page(form, save, done=f"Category “{form.name.data}” is saved.",
                     back=admin_url("categories"),
                     title=f"Edit {category.name}" if category else "New category")


# --- teams -------------------------------------------------------------------------------

@bp.get("/teams")
def teams():
    return render_template("admin/teams.html", teams=reference.teams(), form=EmptyForm())


@bp.route("/teams/new", methods=["GET", "POST"], defaults={"team_id": None})
@bp.route("/teams/<id:team_id>", methods=["GET", "POST"])
def edit_team(team_id: int | None):
    team = _row(Team, team_id)
    form = TeamForm(obj=team)

    def save():
        reference.save_team(current_user, team, name=form.name.data,
                            description=form.description.data)
    return edit_page(form, save, done=f"Team “{form.name.data}” is saved.",
                     back=admin_url("teams"),
                     title=f"Edit {team.name}" if team else "New team")


@bp.route("/teams/<id:team_id>/members", methods=["GET", "POST"])
def team_members(team_id: int):
    team = _row(Team, team_id)
    form = MembersForm(posted_form(), members=[u.id for u in team.members])
    form.members.choices = choices((u.id, f"{u.name} ({u.email})")
                                   for u in staff_members())
    return edit_page(form, lambda: people.set_team_members(current_user, team,
                                                           form.members.data),
                     done=f"Members of {team.name} are saved.", back=admin_url("teams"),
                     title=f"Members of {team.name}", submit_label="Save members")


@bp.post("/teams/<id:team_id>/delete")
def delete_team(team_id: int):
    team = _row(Team, team_id)
    return one_button(lambda: reference.delete_team(current_user, team),
                      done=f"Team “{team.name}” is deleted.", back=admin_url("teams"))


# --- FAQ ---------------------------------------------------------------------------------

@bp.get("/faq")
def faq():
    return render_template("admin/faq.html", entries=reference.faq_entries(),
                           form=EmptyForm())


@bp.route("/faq/new", methods=["GET", "POST"], defaults={"entry_id": None})
@bp.route("/faq/<id:entry_id>", methods=["GET", "POST"])
def edit_faq(entry_id: int | None):
    entry = _row(FaqEntry, entry_id)
    form = FaqForm(obj=entry)
    form.category_id.choices = choices(
        [NO_CHOICE] + [(c.id, c.name) for c in reference.categories()])

    def save():
        reference.save_faq_entry(current_user, entry, question=form.question.data,
                                 answer=form.answer.data, category_id=form.category_id.data,
                                 published=form.published.data, position=form.position.data)
    return edit_page(form, save, done="The FAQ entry is saved.", back=admin_url("faq"),
                     title="Edit FAQ entry" if entry else "New FAQ entry")


@bp.post("/faq/<id:entry_id>/delete")
def delete_faq(entry_id: int):
    entry = _row(FaqEntry, entry_id)
    return one_button(lambda: reference.delete_faq_entry(current_user, entry),
                      done="The FAQ entry is deleted.", back=admin_url("faq"))


# --- canned replies ----------------------------------------------------------------------

@bp.get("/canned-replies")
def canned_replies():
    return render_template("admin/canned_replies.html", replies=reference.canned_replies(),
                           form=EmptyForm())


@bp.route("/canned-replies/new", methods=["GET", "POST"], defaults={"reply_id": None})
@bp.route("/canned-replies/<id:reply_id>", methods=["GET", "POST"])
def edit_canned_reply(reply_id: int | None):
    reply = _row(CannedReply, reply_id)
    form = CannedReplyForm(obj=reply)

    def save():
        reference.save_canned_reply(current_user, reply, title=form.title.data,
                                    body=form.body.data)
    return edit_page(form, save, done=f"Canned reply “{form.title.data}” is saved.",
                     back=admin_url("canned_replies"),
                     title=f"Edit {reply.title}" if reply else "New canned reply")


@bp.post("/canned-replies/<id:reply_id>/delete")
def delete_canned_reply(reply_id: int):
    reply = _row(CannedReply, reply_id)
    return one_button(lambda: reference.delete_canned_reply(current_user, reply),
                      done=f"Canned reply “{reply.title}” is deleted.",
                      back=admin_url("canned_replies"))
