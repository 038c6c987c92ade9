"""helpdesk.web: refusals as responses, bounded ids and pages, choices, labels, and the
policy's console rules the admin blueprint asks."""
import io

import pytest
from conftest import PNG_BYTES, login, make_ticket, make_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from helpdesk import permissions, web
from helpdesk.extensions import db
from helpdesk.models import PRIORITY_LABELS, STATUS_LABELS, Attachment, Priority, Role, Status
from helpdesk.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from helpdesk.services.ids import MAX_ID
from helpdesk.services.tickets import status as ticket_status

HUGE = "9223372036854775808"  # 2^63: past every integer column


# --- refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize("error, status", [
    (InvalidInput("Bad."), 400), (InvalidTransition("Not now."), 400),
    (DomainError("No."), 400), (Forbidden("Not yours."), 403),
    (NotFound("Gone."), 404), (Conflict("Someone was faster."), 409),
])
def test_each_refusal_has_its_status(error, status):
    assert web.refusal_status(error) == status


class ReplyForm(FlaskForm):
    body = StringField("Message")
    title = StringField("Title")


@pytest.fixture
def form(app):
    with app.test_request_context("/", method="POST"):
        yield ReplyForm(meta={"csrf": False})


def test_a_refusal_goes_next_to_the_field_it_names(form):
    assert web.show_refusal(form, InvalidInput("Too long.", field="title"), "body") == 400
    assert form.title.errors == ["Too long."] and not form.body.errors


def test_a_refusal_without_a_field_goes_next_to_the_default_one(form):
    assert web.show_refusal(form, Conflict("Already taken."), "body") == 409
    assert form.body.errors == ["Already taken."]


def test_a_refusal_naming_no_field_of_this_form_goes_above_it(form):
    assert web.show_refusal(form, Forbidden("Not yours.", field="nowhere")) == 403
    assert form.form_errors == ["Not yours."]
    assert web.show_refusal(form, InvalidInput("Odd.", field="meta")) == 400  # not a field
    assert form.form_errors == ["Not yours.", "Odd."]


def test_not_found_is_a_404_page_not_a_form_error(form):
    with pytest.raises(HTTPException) as raised:
        web.show_refusal(form, NotFound("Ticket not found.", field="body"))
    assert raised.value.code == 404 and not form.body.errors


@pytest.mark.parametrize("error, code", [(NotFound("x"), 404), (Forbidden("x"), 403),
                                         (Conflict("x"), 409), (InvalidInput("x"), 400)])
def test_refuse_is_the_error_page_with_that_status(app, error, code):
    with app.test_request_context(), pytest.raises(HTTPException) as raised:
        web.refuse(error)
    assert raised.value.code == code


# --- choices -------------------------------------------------------------------------------

def test_choices_are_strings_with_a_blank_for_none():
    options = web.choices([(None, "— none —"), (7, "Billing"), (Status.OPEN, "Open")])
    assert [(c.value, c.label) for c in options] == [
        ("", "— none —"), ("7", "Billing"), ("open", "Open")]


def test_grouped_choices_put_each_group_in_an_optgroup():
    options = web.grouped_choices(("", "Choose…"), {"Set status": [("status:new", "New")],
                                                     "Assign to": [("assign:1", "Ann")]})
    assert [(c.value, c.optgroup) for c in options] == [
        ("", None), ("status:new", "Set status"), ("assign:1", "Assign to")]


@pytest.mark.parametrize("value, expected", [
    ("", None), (None, None), ("None", None), ("12", 12), (12, 12), (str(MAX_ID), MAX_ID)])
def test_optional_id_reads_a_row_id_or_the_blank_choice(value, expected):
    assert web.optional_id(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "abc", HUGE, "١٢"])
def test_optional_id_refuses_anything_else(value):
    with pytest.raises(ValueError):
        web.optional_id(value)


def test_a_category_past_the_id_range_is_a_form_error_not_a_500(app, client, customer):
    login(client, customer)
    response = client.post("/portal/tickets/new", data={
        "subject": "Broken", "description": "It broke.", "category": HUGE})
    assert response.status_code == 400
    assert 'id="category-error"' in response.get_data(as_text=True)


# --- ids and pages -------------------------------------------------------------------------

@pytest.mark.parametrize("value, page", [
    (None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("2", 2), (" 7 ", 7),
    (HUGE, web.MAX_PAGE), ("9" * 5000, web.MAX_PAGE), ("²", 1)])
def test_page_numbers_are_bounded(value, page):
    assert web.page_arg(value) == page


@pytest.mark.parametrize("target, safe", [
    ("/agent/queue?mine=y", "/agent/queue?mine=y"), ("//evil.example/x", None),
    ("/\\evil.example", None), ("https://evil.example/", None), ("queue", None), ("", None),
    (None, None)])
def test_local_url_keeps_paths_on_this_site_only(target, safe):
    assert web.local_url(target) == safe


def test_every_integer_in_a_route_is_a_bounded_id(app):
    converters = {name for rule in app.url_map.iter_rules()
                  for _, name in rule._converters.items() for name in [type(name).__name__]}
    assert "IntegerConverter" not in converters and "IdConverter" in converters


@pytest.fixture
def attachment(app, customer):
    photo = FileStorage(io.BytesIO(PNG_BYTES), filename="photo.png")
    ticket = make_ticket(customer, files=[photo])
    return db.session.scalars(db.select(Attachment).where(Attachment.ticket_id == ticket.id)).one()


@pytest.mark.parametrize("persona", ["anonymous", "customer", "admin"])
def test_a_file_id_past_the_range_is_a_404_for_everyone(app, client, customer, admin,
                                                         attachment, persona):
    if persona != "anonymous":
        login(client, {"customer": customer, "admin": admin}[persona])
    for attachment_id in (HUGE, str(MAX_ID + 1), "0", "9" * 5000):
        assert client.get(f"/files/{attachment_id}").status_code == 404, attachment_id
    # In the range the route matches: the file for its owner, sign-in for anonymous.
    expected = {"anonymous": 302, "customer": 200, "admin": 200}[persona]
    response = client.get(f"/files/{attachment.id}")
    response.close()
    assert response.status_code == expected
    in_range_missing = {"anonymous": 302, "customer": 404, "admin": 404}[persona]
    assert client.get(f"/files/{MAX_ID}").status_code == in_range_missing


CONSOLE_ID_URLS = ["/admin/agents/{}/teams", "/admin/categories/{}", "/admin/teams/{}",
                   "/admin/teams/{}/members", "/admin/faq/{}", "/admin/canned-replies/{}"]
CONSOLE_ID_POSTS = ["/admin/agents/{}/approve", "/admin/customers/{}/deactivate",
                    "/admin/teams/{}/delete", "/admin/faq/{}/delete",
                    "/admin/canned-replies/{}/delete"]


@pytest.mark.parametrize("persona", ["anonymous", "admin"])
def test_console_ids_past_the_range_are_404_not_500(app, client, admin, persona):
    if persona == "admin":
        login(client, admin)
    for url in CONSOLE_ID_URLS:
        assert client.get(url.format(HUGE)).status_code == 404, url
    for url in CONSOLE_ID_POSTS:
        assert client.post(url.format(HUGE)).status_code == 404, url
    # The largest id still reaches the view: sign in first, or "no such row".
    expected = 404 if persona == "admin" else 302
    assert client.get(f"/admin/categories/{MAX_ID}").status_code == expected


@pytest.mark.parametrize("url, who", [
    ("/admin/agents", Role.ADMIN), ("/admin/customers", Role.ADMIN),
    ("/admin/audit", Role.ADMIN), ("/agent/queue", Role.AGENT),
    ("/portal/tickets", Role.CUSTOMER), ("/notifications", Role.CUSTOMER)])
@pytest.mark.parametrize("page", [HUGE, "abc", "-1", "0"])
def test_odd_page_numbers_show_a_page_not_an_error(app, client, url, who, page):
    login(client, make_user(who))
    assert client.get(f"{url}?page={page}").status_code == 200


def test_a_faq_category_past_the_range_shows_the_faq(app, client):
    assert client.get(f"/faq?category={HUGE}").status_code == 200


# --- labels --------------------------------------------------------------------------------

def test_every_status_and_priority_has_one_label():
    assert set(STATUS_LABELS) == set(Status) and set(PRIORITY_LABELS) == set(Priority)
    assert web.status_label("in_progress") == "In progress"
    assert web.priority_label(Priority.URGENT) == "Urgent"
    assert web.status_label("mystery") == "mystery"


def test_pages_and_flashes_use_the_labels(app, client, customer, admin):
    ticket = make_ticket(customer)
    ticket_status.pick_status(ticket, admin, Status.IN_PROGRESS)
    ticket_status.pick_status(ticket, admin, Status.ON_HOLD)
    login(client, admin)
    page = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert 'class="badge status-on_hold">Pending / on hold<' in page
    assert 'class="badge priority-medium">Medium<' in page
    response = client.post(f"/agent/tickets/{ticket.number}/priority",
                           data={"priority": "urgent"}, follow_redirects=True)
    assert "Priority is Urgent." in response.get_data(as_text=True)


# --- the console's rules -------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, agent_may", [
    ("admin.faq", True), ("admin.edit_faq", True), ("admin.delete_faq", True),
    ("admin.dashboard", False), ("admin.agents", False), ("admin.settings", False),
    ("admin.something_new", False), (None, False)])
def test_console_pages_are_for_admins_except_the_faq(app, agent, admin, customer, endpoint,
                                                     agent_may):
    assert permissions.may_open_console_page(agent, endpoint) is agent_may
    assert permissions.may_open_console_page(admin, endpoint) is True
    assert permissions.may_open_console_page(customer, endpoint) is False


def test_only_admins_reopen_and_only_closed_tickets(app, customer, agent, admin):
    ticket = make_ticket(customer)
    assert not permissions.can_reopen(admin, ticket)
    ticket_status.pick_status(ticket, admin, Status.CLOSED)
    assert permissions.can_reopen(admin, ticket)
    assert not permissions.can_reopen(agent, ticket)
    assert not permissions.can_reopen(customer, ticket)


@pytest.mark.parametrize("status, reopens", [
    (Status.NEW, False), (Status.ON_HOLD, False), (Status.RESOLVED, True),
    (Status.CLOSED, False)])
def test_a_reply_reopens_only_a_resolved_ticket(app, customer, status, reopens):
    ticket = make_ticket(customer)
    ticket.status = status
    assert permissions.reply_reopens(ticket) is reopens
