"""Organizations (product.md): admins manage them (name, e-mail domains, ticket sharing,
members); a new customer whose domain matches joins; members of a sharing organization
see — and may answer — each other's tickets, never internal notes; agents filter the
queue by organization and open its page."""
import re

import pytest
from conftest import PNG_BYTES, login, make_ticket, make_user, upload
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEvent,
    Notification,
    Organization,
    OrganizationDomain,
    Role,
    Status,
    Ticket,
    User,
)
from helpdesk.services.errors import Forbidden, InvalidInput, NotFound
from helpdesk.services.people import accounts, organizations
from helpdesk.services.tickets import assignment, conversation, feedback
from helpdesk.services.tickets import status as ticket_status


def _org(admin, name="Acme", domains="acme.example", shares=False) -> Organization:
    return organizations.save_organization(admin, None, name=name, domains=domains,
                                           shares_tickets=shares)


def _file(name="photo.png"):
    stream, filename = upload(name, PNG_BYTES)
    return FileStorage(stream=stream, filename=filename)


@pytest.fixture
def acme(admin):
    return _org(admin)


@pytest.fixture
def colleagues(admin, acme):
    """Two customers of Acme and a ticket of the first, with a public reply (and a file)
    and an internal note (with a file) by its assignee."""
    anna = make_user(Role.CUSTOMER, name="Anna Acme", email="anna@acme.example")
    ben = make_user(Role.CUSTOMER, name="Ben Acme", email="ben@acme.example")
    organizations.add_members(admin, acme, [anna.email, ben.email])
    ticket = make_ticket(anna, subject="Printer on fire")
    agent = make_user(Role.AGENT, name="Agnes Agent")
    assignment.take_ticket(ticket, agent)
    conversation.post_reply(ticket, agent, "Public answer about the printer",
                            files=[_file("public.png")])
    conversation.post_reply(ticket, agent, "Secret note: customer is on probation",
                            internal=True, files=[_file("internal.png")])
    return anna, ben, ticket, agent


def _fetch(client, url) -> int:
    """The status of a GET, its (file) body read and closed."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def _share(admin, organization, on=True):
    organizations.save_organization(admin, organization, name=organization.name,
                                    domains=organization.domain_names, shares_tickets=on)


# --- managing organizations ----------------------------------------------------------------

def test_admins_create_organizations_with_domains_cleaned_up(admin):
    org = _org(admin, name="  Acme   Corp ", domains="Acme.example, @acme.co.example\nacme.example")
    assert org.name == "Acme Corp"
    assert org.domain_names == ["acme.co.example", "acme.example"]
    assert org.shares_tickets is False  # off by default
    assert db.session.scalar(select(AuditEvent.note).where(
        AuditEvent.action == "organization_created")) == "Acme Corp"


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_only_admins_manage_organizations(request, admin, acme, who):
    person = request.getfixturevalue(who)
    with pytest.raises(Forbidden):
        _org(person, name="Other")
    with pytest.raises(Forbidden):
        organizations.add_members(person, acme, ["x@acme.example"])
    with pytest.raises(Forbidden):
        organizations.delete_organization(person, acme)


def test_names_are_unique_regardless_of_case(admin, acme):
    with pytest.raises(InvalidInput) as refused:
        _org(admin, name="ACME", domains="")
    assert refused.value.field == "name"


def test_one_domain_belongs_to_one_organization(admin, acme):
    with pytest.raises(InvalidInput) as refused:
        _org(admin, name="Rival", domains="rival.example, ACME.example")
    assert refused.value.field == "domains"
    assert "acme.example (Acme)" in refused.value.message
    # The organization that has it may keep it while changing the rest.
    organizations.save_organization(admin, acme, name="Acme", domains="acme.example, a.example")
    assert acme.domain_names == ["a.example", "acme.example"]
    assert db.session.scalar(select(func.count()).select_from(OrganizationDomain)) == 2


@pytest.mark.parametrize("domains", ["gmail.com", "not a domain", "-bad.example", "example",
                                     "a..example"])
def test_public_mail_services_and_non_domains_are_refused(admin, domains):
    with pytest.raises(InvalidInput) as refused:
        _org(admin, domains=domains)
    assert refused.value.field == "domains"


def test_members_are_added_by_email_all_or_none(admin, acme, customer, agent):
    other_org = _org(admin, name="Other", domains="other.example")
    moved = make_user(Role.CUSTOMER, email="moved@other.example")
    organizations.add_members(admin, other_org, [moved.email])
    for emails in (f"{customer.email}, nobody@acme.example", f"{customer.email} {agent.email}",
                   f"{customer.email}\n{moved.email}"):
        with pytest.raises(InvalidInput) as refused:
            organizations.add_members(admin, acme, emails)
        assert refused.value.field == "emails"
        db.session.refresh(customer)
        assert customer.organization_id is None  # nobody joined
    assert organizations.add_members(admin, acme, customer.email.upper()) == [customer]
    assert organizations.add_members(admin, acme, customer.email) == []  # already in
    organizations.remove_member(admin, acme, customer)
    assert customer.organization_id is None
    with pytest.raises(NotFound):
        organizations.remove_member(admin, acme, customer)


# --- joining by domain ---------------------------------------------------------------------

def test_sign_up_joins_the_organization_of_the_address_domain(client, acme):
    response = client.post("/auth/register", data={
        "name": "Jo", "email": "Jo@ACME.Example", "password": "password123"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    jo = accounts.find_by_email("jo@acme.example")
    assert jo.organization_id == acme.id
    assert db.session.scalar(select(AuditEvent.note).where(
        AuditEvent.action == "organization_member_added")) == "by e-mail domain"


@pytest.mark.parametrize("email", ["kim@other.example", "kim@mail.acme.example",
                                   "kim@acme.example.net"])
def test_other_domains_and_subdomains_do_not_join(acme, email):
    user = accounts.register_customer(name="Kim", email=email, password="password123")
    assert user.organization_id is None


def test_match_by_domain_for_mail_and_sign_up(acme):
    assert organizations.match_by_domain("Someone <x@ACME.EXAMPLE>".split("<")[1][:-1]) == acme
    assert organizations.match_by_domain("x@acme.example.") == acme
    assert organizations.match_by_domain("not-an-address") is None


# --- tickets carry the organization --------------------------------------------------------

def test_a_ticket_keeps_the_organization_it_was_opened_for(admin, acme, customer):
    before = make_ticket(customer, subject="Before joining")
    organizations.add_members(admin, acme, [customer.email])
    during = make_ticket(customer, subject="While a member")
    organizations.remove_member(admin, acme, customer)
    after = make_ticket(customer, subject="After leaving")
    assert (before.organization_id, during.organization_id, after.organization_id) == (
        None, acme.id, None)


def test_agents_open_tickets_for_customers_with_their_organization(admin, acme, agent):
    member = make_user(Role.CUSTOMER, email="m@acme.example")
    organizations.add_members(admin, acme, [member.email])
    from helpdesk.services.tickets import opening
    ticket = opening.open_for_customer(agent, customer_email=member.email, subject="Phone call",
                                       description="Called in")
    assert ticket.organization_id == acme.id


def test_deleting_an_organization_keeps_its_people_and_tickets(admin, colleagues, acme):
    anna, ben, ticket, _ = colleagues
    organizations.delete_organization(admin, acme)
    db.session.expire_all()
    assert db.session.get(Organization, acme.id) is None
    assert (anna.organization_id, ben.organization_id, ticket.organization_id) == (None, None,
                                                                                   None)
    assert db.session.scalar(select(func.count()).select_from(OrganizationDomain)) == 0


# --- shared visibility ---------------------------------------------------------------------

def test_without_sharing_colleagues_see_only_their_own_tickets(client, colleagues):
    anna, ben, ticket, _ = colleagues
    login(client, ben)
    assert ticket.number not in client.get("/portal/tickets").get_data(as_text=True)
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 404
    assert client.post(f"/portal/tickets/{ticket.number}/reply",
                       data={"body": "Me too"}).status_code == 404
    public = db.session.scalar(select(Attachment.id).where(
        Attachment.original_name == "public.png"))
    assert _fetch(client, f"/files/{public}") == 404


def test_with_sharing_colleagues_read_the_public_thread_never_internal_notes(
        client, admin, acme, colleagues):
    anna, ben, ticket, _ = colleagues
    _share(admin, acme)
    login(client, ben)
    listing = client.get("/portal/tickets").get_data(as_text=True)
    assert ticket.number in listing and "Opened by Anna Acme" in listing
    page = client.get(f"/portal/tickets/{ticket.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Public answer about the printer" in html and "public.png" in html
    assert "Secret note" not in html and "internal.png" not in html
    files = dict(db.session.execute(select(Attachment.original_name, Attachment.id)).all())
    assert _fetch(client, f"/files/{files['public.png']}") == 200
    assert _fetch(client, f"/files/{files['internal.png']}") == 404
    # Searching the shared list never matches internal notes either.
    assert ticket.number not in client.get("/portal/tickets?q=probation").get_data(as_text=True)
    assert ticket.number in client.get("/portal/tickets?q=printer").get_data(as_text=True)


def test_customers_outside_the_organization_never_see_shared_tickets(
        client, admin, acme, colleagues, other_customer):
    anna, ben, ticket, _ = colleagues
    _share(admin, acme)
    outsider_org = _org(admin, name="Outsiders", domains="out.example", shares=True)
    organizations.add_members(admin, outsider_org, [other_customer.email])
    login(client, other_customer)
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 404
    assert ticket.number not in client.get("/portal/tickets").get_data(as_text=True)


def test_turning_sharing_off_hides_colleagues_tickets_at_once(client, admin, acme, colleagues):
    anna, ben, ticket, _ = colleagues
    _share(admin, acme)
    login(client, ben)
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 200
    _share(admin, acme, on=False)
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 404


def test_a_colleague_may_reply_and_the_requester_hears_of_it(client, admin, acme, colleagues):
    anna, ben, ticket, agent = colleagues
    _share(admin, acme)
    ticket_status.change_status(ticket, agent, Status.RESOLVED)
    login(client, ben)
    response = client.post(f"/portal/tickets/{ticket.number}/reply",
                           data={"body": "Still smoking here"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status != Status.RESOLVED  # a customer's reply reopens, as for anyone
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == anna.id, Notification.kind == "colleague_replied"))
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Still smoking here" in html


def test_only_the_requester_rates_closes_or_withdraws(client, admin, acme, colleagues):
    anna, ben, ticket, agent = colleagues
    _share(admin, acme)
    ticket_status.change_status(ticket, agent, Status.RESOLVED)
    login(client, ben)
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "This is solved" not in html and "Submit rating" not in html
    assert client.post(f"/portal/tickets/{ticket.number}/solved").status_code == 403
    assert client.post(f"/portal/tickets/{ticket.number}/feedback",
                       data={"rating": "1"}).status_code == 403
    with pytest.raises(Forbidden):
        feedback.submit_feedback(ticket, ben, 1)
    with pytest.raises(Forbidden):
        ticket_status.confirm_resolution(ticket, ben)
    db.session.refresh(ticket)
    assert ticket.status == Status.RESOLVED and ticket.feedback is None
    feedback.submit_feedback(ticket, anna, 5)  # the requester still can
    assert "Anna Acme rated this ticket" in client.get(
        f"/portal/tickets/{ticket.number}").get_data(as_text=True)


def test_a_colleague_gets_no_follow_up_of_someone_elses_closed_ticket(client, admin, acme,
                                                                        colleagues):
    anna, ben, ticket, agent = colleagues
    _share(admin, acme)
    ticket_status.change_status(ticket, agent, Status.CLOSED)
    login(client, ben)
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Open a follow-up ticket" not in html
    assert client.get(f"/portal/tickets/new?follow_up={ticket.number}").status_code == 404
    assert client.post(f"/portal/tickets/{ticket.number}/reply",
                       data={"body": "Hello?"}).status_code == 400


# --- agents --------------------------------------------------------------------------------

def test_the_queue_filters_by_organization(client, admin, colleagues, customer):
    anna, ben, ticket, agent = colleagues
    outside = make_ticket(customer, subject="Not from Acme")
    login(client, agent)
    html = client.get(f"/agent/queue?organization={ticket.organization_id}").get_data(
        as_text=True)
    assert ticket.number in html and outside.number not in html
    assert re.search(r'<label for="organization">\s*Organization\s*</label>', html)
    # An unknown or malformed id is no filter at all; the page still answers.
    assert client.get("/agent/queue?organization=abc").status_code in (200, 400)


def test_the_organization_page_lists_people_and_tickets(client, admin, acme, colleagues):
    anna, ben, ticket, agent = colleagues
    login(client, agent)
    html = client.get(f"/agent/organizations/{acme.id}").get_data(as_text=True)
    for text in ("Acme", "anna@acme.example", "ben@acme.example", ticket.number,
                 "acme.example"):
        assert text in html
    assert client.get("/agent/organizations/999999").status_code == 404
    assert "Acme" in client.get("/agent/organizations?q=acm").get_data(as_text=True)


def test_the_workspace_shows_the_organization(client, colleagues, acme):
    anna, ben, ticket, agent = colleagues
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert f'href="/agent/organizations/{acme.id}">Acme</a>' in html


def test_the_csv_export_has_the_organization(client, admin, colleagues, customer):
    anna, ben, ticket, agent = colleagues
    make_ticket(customer, subject="No organization")
    login(client, admin)
    text = client.get("/agent/queue.csv?open_only=&filtered=1").get_data(as_text=True)
    header, *rows = [line.split(",") for line in text.strip().splitlines()]
    column = header.index("Organization")
    by_number = {row[0]: row[column] for row in rows}
    assert by_number[ticket.number] == "Acme"
    assert "" in by_number.values()


# --- console pages -------------------------------------------------------------------------

def test_console_creates_and_edits_organizations(client, admin):
    login(client, admin)
    response = client.post("/admin/organizations/new", data={
        "name": "Globex", "domains": "globex.example\nGLOBEX.example, globex.test",
        "shares_tickets": "y"})
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).filter_by(name="Globex"))
    assert org.shares_tickets and org.domain_names == ["globex.example", "globex.test"]
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert "Globex" in page and "globex.test" in page

    clash = client.post("/admin/organizations/new", data={"name": "Initech",
                                                          "domains": "globex.test"})
    assert clash.status_code == 400
    assert "already taken: globex.test (Globex)" in clash.get_data(as_text=True)
    assert db.session.scalar(select(Organization).filter_by(name="Initech")) is None

    edited = client.post(f"/admin/organizations/{org.id}", data={"name": "Globex",
                                                                 "domains": ""})
    assert edited.status_code == 302
    db.session.refresh(org)
    assert not org.shares_tickets and org.domain_names == []


def test_console_adds_and_removes_members(client, admin, acme, customer):
    login(client, admin)
    url = f"/admin/organizations/{acme.id}/members"
    refused = client.post(url, data={"emails": "nobody@nowhere.example"})
    assert refused.status_code == 400
    assert "No customer account has this address" in refused.get_data(as_text=True)
    assert client.post(url, data={"emails": customer.email}).status_code == 302
    assert customer.email in client.get(url).get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.organization_id == acme.id
    removed = client.post(f"{url}/{customer.id}/remove")
    assert removed.status_code == 302
    db.session.refresh(customer)
    assert customer.organization_id is None
    assert client.post(f"/admin/organizations/{acme.id}/delete").status_code == 302
    assert db.session.get(Organization, acme.id) is None


def test_members_count_and_sign_up_audit_are_visible(client, admin, colleagues, acme):
    login(client, admin)
    html = client.get("/admin/organizations").get_data(as_text=True)
    assert re.search(r'data-label="People">\s*2\s*<', html)
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == acme.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.organization_id == acme.id)) == 1


def test_the_queue_by_organization_runs_a_fixed_number_of_statements(client, admin, acme):
    from test_queue_queries import counting

    def tickets(n):
        for i in range(n):
            member = make_user(Role.CUSTOMER)
            organizations.add_members(admin, acme, [member.email])
            make_ticket(member, subject=f"Acme ticket {i}").assignee = make_user(Role.AGENT)
        db.session.commit()

    def statements():
        db.session.expire_all()
        with counting() as seen:
            response = client.get(f"/agent/queue?organization={acme.id}&sort=created")
            assert response.status_code == 200
        return len(seen), response.get_data(as_text=True).count(">Acme ticket")  # link text

    login(client, admin)
    tickets(5)
    few, shown = statements()
    assert shown == 5
    tickets(35)
    assert statements() == (few, 40)


def test_the_shared_list_can_show_only_my_own_tickets(client, admin, acme, colleagues):
    anna, ben, ticket, _ = colleagues
    own = make_ticket(ben, subject="Ben's own")
    login(client, ben)
    assert 'name="who"' not in client.get("/portal/tickets").get_data(as_text=True)
    _share(admin, acme)
    both = client.get("/portal/tickets").get_data(as_text=True)
    assert ticket.number in both and own.number in both and 'name="who"' in both
    mine = client.get("/portal/tickets?who=mine").get_data(as_text=True)
    assert own.number in mine and ticket.number not in mine
