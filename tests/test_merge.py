"""Merging a duplicate into another ticket, and related-ticket links (issue 15).

Every refusal; the thread, files and history moving (marked "from TKT-…"); the source
closed through the workflow; old numbers redirecting (pages and API); who sees what
afterwards; both histories; the requesters told (in the app and by mail); and the
number of statements, which does not grow with the thread."""
import io

import pytest
from api_support import ApiClient
from conftest import PNG_BYTES, login, make_ticket
from sqlalchemy import func, select
from test_queue_queries import counting
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEvent,
    Message,
    Notification,
    OutboxMail,
    Status,
    Ticket,
    TicketLink,
)
from helpdesk.services.errors import Forbidden, InvalidInput, InvalidTransition
from helpdesk.services.tickets import conversation, linking, merging
from helpdesk.services.tickets.status import change_status


def assign(ticket, agent, status=Status.IN_PROGRESS):
    ticket.assignee, ticket.status = agent, status
    db.session.commit()
    return ticket


def events(ticket, action=None):
    query = select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def pair(customer, agent):
    """A duplicate (source) and the ticket it duplicates (target), same requester,
    both worked by `agent`."""
    target = assign(make_ticket(customer, subject="Parcel damaged"), agent)
    source = assign(make_ticket(customer, subject="Parcel damaged (again)",
                                description="Same parcel, second mail."), agent)
    return source, target


# --- the merge itself ---------------------------------------------------------------------

def test_merge_moves_messages_files_and_history_and_closes_the_source(app, agent, pair):
    source, target = pair
    conversation.post_reply(source, agent, "We are looking into it.")
    conversation.post_reply(source, agent, "Internal: carrier contacted.", internal=True)
    conversation.post_reply(source, source.requester, "Thanks, photo attached.",
                            files=[FileStorage(io.BytesIO(PNG_BYTES), "photo.png",
                                               content_type="image/png")])
    source_number = source.number
    merging.merge_tickets(agent, source, target)

    source, target = db.session.get(Ticket, source.id), db.session.get(Ticket, target.id)
    assert source.status == Status.CLOSED and source.closed_at is not None
    assert source.merged_into_id == target.id
    moved = db.session.scalars(select(Message).where(Message.ticket_id == target.id)
                               .order_by(Message.created_at, Message.id)).all()
    assert [m.merged_from_number for m in moved] == [source_number] * 4
    assert moved[0].body == "Same parcel, second mail."  # the description comes first
    assert any(m.is_internal for m in moved)  # internal notes stay internal
    assert db.session.scalar(select(func.count()).select_from(Message)
                             .where(Message.ticket_id == source.id)) == 0
    files = db.session.scalars(select(Attachment).where(Attachment.ticket_id == target.id))
    assert [f.original_name for f in files] == ["photo.png"]
    # the status change went through the workflow (one status event, closed by a merge)
    closing = [e for e in events(source) if e.field == "status"]
    assert [(e.action, e.new_value) for e in closing] == [("merged", "closed")]


def test_both_histories_record_the_merge(app, agent, pair):
    source, target = pair
    merging.merge_tickets(agent, source, target)
    into = events(source, "merged_into")
    assert len(into) == 1 and into[0].new_value == target.number and into[0].actor_id == agent.id
    came = events(target, "merged_from")
    assert len(came) == 1 and came[0].new_value == source.number
    # the source's earlier history joined the target's, still marked with its number
    assert any(e.action == "created" and e.ticket_number == source.number
               for e in events(target))


def test_requesters_are_told_in_the_app_and_by_mail(smtp, app, agent, other_customer, pair):
    source, target = pair
    source.requester = other_customer
    db.session.commit()
    merging.merge_tickets(agent, source, target, confirm_requesters=True)
    for person in (other_customer, target.requester):
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id == person.id, Notification.kind == "ticket_merged")).all()
        assert len(notes) == 1, person
        mails = db.session.scalars(select(OutboxMail).where(
            OutboxMail.kind == "ticket_merged", OutboxMail.to_address == person.email)).all()
        assert len(mails) == 1, person
    # no second "is now Closed" notice: the merge notice says it
    assert not db.session.scalars(select(Notification).where(
        Notification.user_id == other_customer.id, Notification.kind == "closed")).all()


# --- refusals -----------------------------------------------------------------------------

def test_merging_into_itself_is_refused(app, agent, pair):
    source, _ = pair
    with pytest.raises(InvalidInput, match="itself"):
        merging.merge_tickets(agent, source, source)


def test_merging_into_a_closed_ticket_is_refused(app, agent, admin, pair):
    source, target = pair
    change_status(target, admin, Status.CLOSED)
    with pytest.raises(InvalidTransition, match="closed"):
        merging.merge_tickets(agent, source, target)
    assert db.session.get(Ticket, source.id).merged_into_id is None


def test_merging_back_in_a_cycle_is_refused(app, agent, admin, pair):
    source, target = pair
    merging.merge_tickets(agent, source, target)
    # an admin reopens the merged ticket; merging the target into it would be a cycle
    source = db.session.get(Ticket, source.id)
    change_status(source, admin, Status.OPEN)
    target = db.session.get(Ticket, target.id)
    with pytest.raises(InvalidTransition, match="cycle"):
        merging.merge_tickets(admin, target, source)


def test_a_ticket_merged_already_or_closed_cannot_be_merged(app, agent, admin, customer, pair):
    source, target = pair
    third = assign(make_ticket(customer), agent)
    merging.merge_tickets(agent, source, target)
    with pytest.raises(InvalidTransition):
        merging.merge_tickets(admin, db.session.get(Ticket, source.id), third)
    closed = make_ticket(customer)
    change_status(closed, admin, Status.CLOSED)
    with pytest.raises(InvalidTransition, match="reopen"):
        merging.merge_tickets(admin, closed, third)


def test_different_requesters_need_a_confirmation_or_an_admin(
        app, agent, admin, other_customer, pair):
    source, target = pair
    source.requester = other_customer
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        merging.merge_tickets(agent, source, target)
    assert refused.value.field == "confirm_requesters"
    merging.merge_tickets(agent, source, target, confirm_requesters=True)
    assert db.session.get(Ticket, source.id).merged_into_id == target.id


def test_an_admin_merges_different_requesters_without_ticking(app, admin, other_customer, pair):
    source, target = pair
    source.requester = other_customer
    db.session.commit()
    merging.merge_tickets(admin, source, target)
    assert db.session.get(Ticket, source.id).merged_into_id == target.id


def test_only_the_assignee_or_an_admin_merges(app, other_agent, customer, pair):
    source, target = pair
    with pytest.raises(Forbidden):
        merging.merge_tickets(other_agent, source, target)
    with pytest.raises(Forbidden):
        merging.merge_tickets(customer, source, target)


def test_chains_are_flattened(app, admin, customer, pair):
    source, target = pair
    final = make_ticket(customer, subject="Parcel: all of it")
    merging.merge_tickets(admin, source, target)
    merging.merge_tickets(admin, db.session.get(Ticket, target.id), final)
    assert db.session.get(Ticket, source.id).merged_into_id == final.id


# --- pages --------------------------------------------------------------------------------

def test_merge_from_the_workspace_form_and_the_old_number_redirects(app, client, agent, pair):
    source, target = pair
    login(client, agent)
    page = client.get(f"/agent/tickets/{source.number}").get_data(as_text=True)
    assert 'for="target">Merge into</label>' in page
    response = client.post(f"/agent/tickets/{source.number}/merge",
                           data={"target": target.number})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agent/tickets/{target.number}")
    old = client.get(f"/agent/tickets/{source.number}")
    assert old.status_code == 302
    assert old.headers["Location"].endswith(f"/agent/tickets/{target.number}")
    page = client.get(f"/agent/tickets/{target.number}").get_data(as_text=True)
    assert f"from {source.number}" in page


def test_a_refused_merge_shows_the_reason_next_to_the_field(app, client, agent, pair):
    source, _ = pair
    login(client, agent)
    response = client.post(f"/agent/tickets/{source.number}/merge",
                           data={"target": source.number})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="target-error"' in html and "itself" in html
    response = client.post(f"/agent/tickets/{source.number}/merge",
                           data={"target": "TKT-999999"})
    assert response.status_code == 400 and "There is no ticket TKT-999999" in \
        response.get_data(as_text=True)


def test_the_queue_bulk_merge_into(app, client, agent, customer, pair):
    source, target = pair
    third = assign(make_ticket(customer, subject="Parcel, third mail"), agent)
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [source.id, third.id], "bulk_action": "merge:into",
        "next": "/agent/queue"})
    assert response.status_code == 302 and "/agent/queue/merge" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Merge into" in page.get_data(as_text=True)
    response = client.post("/agent/queue/merge", data={
        "ticket_ids": [source.id, third.id], "target": target.number, "next": "/agent/queue"})
    assert response.status_code == 302
    assert {t.merged_into_id for t in (db.session.get(Ticket, source.id),
                                       db.session.get(Ticket, third.id))} == {target.id}


def test_the_portal_redirects_the_requester_to_the_target(app, client, agent, pair):
    source, target = pair
    merging.merge_tickets(agent, source, target)
    login(client, target.requester)
    response = client.get(f"/portal/tickets/{source.number}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/portal/tickets/{target.number}")


def test_a_customer_of_the_source_never_sees_the_target(
        app, client, agent, other_customer, pair):
    """Different requesters: the source's customer keeps the closed source with their
    own part (public messages from their ticket), never the target's messages or notes."""
    source, target = pair
    source.requester = other_customer
    db.session.commit()
    conversation.post_reply(source, other_customer, "My own follow-up words.")
    conversation.post_reply(target, agent, "Secret note on the target.", internal=True)
    conversation.post_reply(target, agent, "Public answer to the target's customer.")
    conversation.post_reply(source, agent, "Internal on the source.", internal=True)
    merging.merge_tickets(agent, source, target, confirm_requesters=True)
    login(client, other_customer)
    response = client.get(f"/portal/tickets/{source.number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "My own follow-up words." in html and "Merged with another request" in html
    assert html.count(source.description) == 1  # the description, not its copy as well
    for hidden in ("Secret note on the target.", "Public answer to the target's customer.",
                   "Internal on the source.", target.number):
        assert hidden not in html
    assert client.get(f"/portal/tickets/{target.number}").status_code == 404


def test_the_targets_customer_never_sees_internal_notes_that_came_along(
        app, client, agent, pair):
    source, target = pair
    conversation.post_reply(source, agent, "Internal note from the duplicate.", internal=True)
    conversation.post_reply(source, agent, "Public reply on the duplicate.")
    merging.merge_tickets(agent, source, target)
    login(client, target.requester)
    html = client.get(f"/portal/tickets/{target.number}").get_data(as_text=True)
    assert "Public reply on the duplicate." in html and f"from {source.number}" in html
    assert "Internal note from the duplicate." not in html


# --- API ----------------------------------------------------------------------------------

def test_the_api_answers_308_to_the_target_for_a_merged_number(app, agent, pair):
    source, target = pair
    merging.merge_tickets(agent, source, target)
    api = ApiClient(app)
    response = api.get(f"/tickets/{source.number}", as_=agent)
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{target.number}")
    assert target.number in response.get_json()["detail"]
    response = api.get(f"/tickets/{source.number}/messages", as_=agent)
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/tickets/{target.number}/messages")
    followed = api.get(response.headers["Location"], as_=agent)
    assert followed.status_code == 200


def test_the_api_keeps_the_source_for_a_customer_who_may_not_see_the_target(
        app, agent, other_customer, pair):
    source, target = pair
    source.requester = other_customer
    db.session.commit()
    merging.merge_tickets(agent, source, target, confirm_requesters=True)
    response = ApiClient(app).get(f"/tickets/{source.number}", as_=other_customer)
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert target.number not in response.get_data(as_text=True)


# --- fast: the statement count does not grow with the thread ------------------------------

def _merge_statements(admin, customer, messages: int) -> int:
    target = make_ticket(customer, subject="Target")
    source = make_ticket(customer, subject="Source")
    db.session.add_all([Message(ticket_id=source.id, author_id=customer.id, body=f"m{i}")
                        for i in range(messages)])
    db.session.commit()
    source, target = db.session.get(Ticket, source.id), db.session.get(Ticket, target.id)
    with counting() as statements:
        merging.merge_tickets(admin, source, target)
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.ticket_id == target.id)) == messages + 1
    return len(statements)


def test_merging_200_messages_takes_as_many_statements_as_merging_2(app, admin, customer):
    assert _merge_statements(admin, customer, 200) == _merge_statements(admin, customer, 2)


# --- links --------------------------------------------------------------------------------

def test_linking_shows_on_both_sides_is_audited_and_can_be_undone(
        app, client, agent, customer, pair):
    one, other = pair
    login(client, agent)
    response = client.post(f"/agent/tickets/{one.number}/links",
                           data={"related": other.number})
    assert response.status_code == 302
    for a, b in ((one, other), (other, one)):
        html = client.get(f"/agent/tickets/{a.number}").get_data(as_text=True)
        assert 'for="related">Related ticket</label>' in html
        assert f'href="/agent/tickets/{b.number}"' in html
        assert events(a, "linked")[0].new_value == b.number
    response = client.post(f"/agent/tickets/{other.number}/links/remove",
                           data={"related": one.number})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(TicketLink)) == 0
    assert events(one, "unlinked") and events(other, "unlinked")


def test_link_refusals(app, client, agent, customer, pair):
    one, _ = pair
    with pytest.raises(InvalidInput):
        linking.link_tickets(agent, one, one)
    with pytest.raises(Forbidden):
        linking.link_tickets(customer, one, make_ticket(customer))
    login(client, agent)
    response = client.post(f"/agent/tickets/{one.number}/links", data={"related": "nope"})
    assert response.status_code == 400 and 'id="related-error"' in response.get_data(
        as_text=True)


def test_customers_cannot_reach_merge_or_link_routes(app, client, customer, pair):
    source, target = pair
    login(client, customer)
    assert client.post(f"/agent/tickets/{source.number}/merge",
                       data={"target": target.number}).status_code == 404
    assert client.post(f"/agent/tickets/{source.number}/links",
                       data={"related": target.number}).status_code == 404
    assert db.session.get(Ticket, source.id).merged_into_id is None



# --- mail ---------------------------------------------------------------------------------

def test_a_mailed_reply_to_a_merged_ticket_lands_on_the_target(smtp, app, agent, pair):
    from mailtools import mail

    from helpdesk.services.mail.ingest import ingest_message
    source, target = pair
    source_number = source.number
    merging.merge_tickets(agent, source, target)
    ingest_message(mail(sender=target.requester.email, subject=f"Re: [{source_number}] parcel",
                        text="Any news?"))
    last = db.session.scalars(select(Message).where(Message.ticket_id == target.id)
                              .order_by(Message.id.desc())).first()
    assert last.body.startswith("Any news?") and not last.is_internal


def test_merge_and_links_over_the_api(app, agent, other_agent, pair):
    source, target = pair
    api = ApiClient(app)
    refused = api.post(f"/tickets/{source.number}/merge", as_=agent,
                       json={"target": source.number})
    assert refused.status_code == 422 and "target" in refused.get_json()["errors"]
    assert api.post(f"/tickets/{source.number}/merge", as_=other_agent,
                    json={"target": target.number}).status_code == 403
    merged = api.post(f"/tickets/{source.number}/merge", as_=agent,
                      json={"target": target.number})
    assert merged.status_code == 200 and merged.get_json()["number"] == target.number
    again = api.post(f"/tickets/{source.number}/merge", as_=agent,
                     json={"target": target.number})
    assert again.status_code == 409
    third = make_ticket(target.requester, subject="Related question")
    linked = api.post(f"/tickets/{target.number}/links", as_=agent,
                      json={"related": third.number})
    assert [t["number"] for t in linked.get_json()["items"]] == [third.number]
    other_side = api.get(f"/tickets/{third.number}/links", as_=agent).get_json()["items"]
    assert [t["number"] for t in other_side] == [target.number]
    assert api.delete(f"/tickets/{third.number}/links/{target.number}",
                      as_=agent).status_code == 204
    assert api.get(f"/tickets/{target.number}/links", as_=agent).get_json()["items"] == []
