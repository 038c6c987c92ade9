"""Tickets, messages and files through the API: the contract's status codes and problem
documents, ETag / If-Match, partial updates, editing and deleting messages (audited),
and files only for those who may see them."""
from api_support import ApiClient, problem
from conftest import PDF_BYTES, PNG_BYTES, login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEvent, Message, Role, Status, Ticket
from helpdesk.services.tickets import assignment, conversation


def _taken(customer, agent, **fields):
    ticket = make_ticket(customer, **fields)
    assignment.take_ticket(ticket, agent)
    return ticket


# --- the contract's errors -----------------------------------------------------------------

def test_a_body_that_is_not_json_is_a_400_and_invalid_fields_a_422(app, customer):
    api = ApiClient(app)
    as_text = api.post("/tickets", as_=customer, data="subject=x",
                       content_type="application/x-www-form-urlencoded")
    assert as_text.status_code == 400 and "JSON" in problem(as_text)["detail"]
    broken = api.post("/tickets", as_=customer, data="{not json",
                      content_type="application/json")
    assert broken.status_code == 400 and problem(broken)
    invalid = api.post("/tickets", as_=customer, json={
        "subject": "x" * 201, "is_internal": True})
    body = problem(invalid)
    assert invalid.status_code == 422
    assert set(body["errors"]) == {"subject", "description", "is_internal"}
    assert body["errors"]["is_internal"] == ["Unknown field."]
    not_an_object = api.post("/tickets", as_=customer, json=["a list"])
    assert not_an_object.status_code == 422 and problem(not_an_object)["errors"]
    nul = api.post("/tickets", as_=customer, json={"subject": "a\x00b", "description": "x"})
    assert nul.status_code == 422 and "subject" in problem(nul)["errors"]
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_a_json_body_over_the_limit_is_a_413(app_config, app, customer):
    app.config["API_MAX_JSON_BYTES"] = 1000
    response = ApiClient(app).post("/tickets", as_=customer, json={
        "subject": "Big", "description": "x" * 2000})
    assert response.status_code == 413 and problem(response)


def test_someone_elses_ticket_is_a_404_and_so_is_a_made_up_number(app, customer,
                                                                   other_customer):
    ticket = make_ticket(customer)
    api = ApiClient(app)
    for number in (ticket.number, "TKT-999999", "x" * 40, "a\x01b"):
        response = api.get(f"/tickets/{number}", as_=other_customer)
        assert response.status_code == 404 and problem(response)
    unknown_route = api.get("/nothing-here", as_=customer)
    assert unknown_route.status_code == 404 and problem(unknown_route)
    wrong_method = api.call("PUT", f"/tickets/{ticket.number}", as_=customer)
    assert wrong_method.status_code == 405 and problem(wrong_method)


def test_a_move_the_workflow_refuses_is_a_409_with_the_allowed_statuses(app, customer, agent):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    refused = api.post(f"/tickets/{ticket.number}/status", as_=agent, json={"status": "new"})
    body = problem(refused)
    assert refused.status_code == 409
    assert body["allowed"] == ["open", "on_hold", "resolved", "closed"]
    # The customer may only close; asking for anything else says so.
    reopen = api.post(f"/tickets/{ticket.number}/status", as_=customer,
                      json={"status": "open"})
    assert reopen.status_code == 409 and problem(reopen)["allowed"] == ["closed"]
    withdrawn = api.post(f"/tickets/{ticket.number}/status", as_=customer,
                         json={"status": "closed"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "closed"
    assert withdrawn.get_json()["allowed_statuses"] == []


def test_the_customer_confirms_a_resolution_by_closing(app, customer, agent):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    api.post(f"/tickets/{ticket.number}/status", as_=agent, json={"status": "resolved"})
    closed = api.post(f"/tickets/{ticket.number}/status", as_=customer,
                      json={"status": "closed"})
    assert closed.status_code == 200
    actions = db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.ticket_id == ticket.id)).all()
    assert "confirm" in actions and "withdraw" not in actions


def test_taking_a_taken_ticket_is_a_409(app, customer, agent, other_agent):
    ticket = _taken(customer, agent)
    response = ApiClient(app).post(f"/tickets/{ticket.number}/take", as_=other_agent)
    assert response.status_code == 409 and agent.name in problem(response)["detail"]
    db.session.expire_all()
    assert ticket.assignee_id == agent.id


def test_admins_assign_and_unassign(app, customer, agent, admin):
    ticket = make_ticket(customer)
    api = ApiClient(app)
    assigned = api.post(f"/tickets/{ticket.number}/assign", as_=admin,
                        json={"assignee": agent.id})
    assert assigned.status_code == 200
    assert assigned.get_json()["assignee"]["id"] == agent.id
    assert assigned.get_json()["status"] == "open"
    unassigned = api.post(f"/tickets/{ticket.number}/assign", as_=admin,
                          json={"assignee": None})
    assert unassigned.get_json()["assignee"] is None
    customer_as_assignee = api.post(f"/tickets/{ticket.number}/assign", as_=admin,
                                    json={"assignee": customer.id})
    assert customer_as_assignee.status_code == 422
    assert "assignee" in problem(customer_as_assignee)["errors"]


def test_escalating_raises_to_critical_and_needs_a_reason(app, customer, agent):
    ticket = make_ticket(customer)
    api = ApiClient(app)
    empty = api.post(f"/tickets/{ticket.number}/escalate", as_=agent, json={"reason": ""})
    assert empty.status_code == 422
    escalated = api.post(f"/tickets/{ticket.number}/escalate", as_=agent,
                         json={"reason": "VIP customer"})
    assert escalated.status_code == 200 and escalated.get_json()["priority"] == "critical"


def test_feedback_waits_for_the_resolution(app, customer, agent):
    ticket = _taken(customer, agent)
    early = ApiClient(app).post(f"/tickets/{ticket.number}/feedback", as_=customer,
                                json={"rating": 4})
    assert early.status_code == 409 and "resolved" in problem(early)["detail"]
    out_of_range = ApiClient(app).post(f"/tickets/{ticket.number}/feedback", as_=customer,
                                       json={"rating": 6})
    assert out_of_range.status_code == 422 and "rating" in problem(out_of_range)["errors"]


# --- changing a ticket: partial updates and If-Match ---------------------------------------

def test_patch_changes_only_what_it_is_given_and_null_clears(app, customer, agent):
    ticket = _taken(customer, agent, category_id=None)
    api = ApiClient(app)
    path = f"/tickets/{ticket.number}"
    changed = api.patch(path, as_=agent, json={
        "tags": ["Refund", "carrier"], "category": "Billing", "estimated_hours": 2.5,
        "due_at": "2030-01-02T03:04:00+01:00"})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["tags"] == ["carrier", "refund"] and body["category"]["name"] == "Billing"
    assert body["due_at"] == "2030-01-02T02:04:00Z"
    priority_only = api.patch(path, as_=agent, json={"priority": "high"}).get_json()
    assert priority_only["tags"] == ["carrier", "refund"]
    assert priority_only["category"]["name"] == "Billing"
    assert priority_only["due_at"] == "2030-01-02T02:04:00Z"
    cleared = api.patch(path, as_=agent, json={"category": None, "tags": [],
                                               "due_at": None}).get_json()
    assert cleared["category"] is None and cleared["tags"] == []
    assert cleared["due_at"] != "2030-01-02T02:04:00Z"  # back to the SLA target
    nothing = api.patch(path, as_=agent, json={})
    assert nothing.status_code == 422


def test_a_refused_field_leaves_the_others_unchanged(app, customer, agent):
    ticket = _taken(customer, agent)
    response = ApiClient(app).patch(f"/tickets/{ticket.number}", as_=agent, json={
        "priority": "urgent", "team": 999999})
    assert response.status_code == 422 and "team" in problem(response)["errors"]
    db.session.expire_all()
    assert ticket.priority == "medium"  # one transaction: all or nothing


def test_if_match_protects_against_overwriting_a_change_you_did_not_see(app, customer,
                                                                        agent, admin):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    path = f"/tickets/{ticket.number}"
    read = api.get(path, as_=agent)
    etag = read.headers["ETag"]
    assert etag.startswith('"') and api.get(path, as_=agent).headers["ETag"] == etag
    # Someone else changes the ticket in between.
    api.patch(path, as_=admin, json={"priority": "low"})
    stale = api.patch(path, as_=agent, json={"priority": "urgent"},
                      headers={"If-Match": etag})
    assert stale.status_code == 412 and problem(stale)
    db.session.expire_all()
    assert ticket.priority == "low"
    fresh = api.get(path, as_=agent).headers["ETag"]
    assert fresh != etag
    ok = api.patch(path, as_=agent, json={"priority": "urgent"}, headers={"If-Match": fresh})
    assert ok.status_code == 200 and ok.headers["ETag"] not in (etag, fresh)
    assert api.patch(path, as_=agent, json={"priority": "high"},
                     headers={"If-Match": "*"}).status_code == 200


def test_the_etag_changes_with_a_message_for_staff_but_not_for_the_customer_on_a_note(
        app, customer, agent):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    path = f"/tickets/{ticket.number}"
    staff_before = api.get(path, as_=agent).headers["ETag"]
    customer_before = api.get(path, as_=customer)
    conversation.post_reply(ticket, agent, "Internal only", internal=True)
    assert api.get(path, as_=agent).headers["ETag"] != staff_before
    customer_after = api.get(path, as_=customer)
    assert customer_after.headers["ETag"] == customer_before.headers["ETag"]
    assert customer_after.get_json()["updated_at"] == customer_before.get_json()["updated_at"]


def test_customers_do_not_see_the_staff_side_of_a_ticket(app, customer, agent):
    ticket = _taken(customer, agent)
    ApiClient(app).patch(f"/tickets/{ticket.number}", as_=agent, json={"tags": ["vip"]})
    seen = ApiClient(app).get(f"/tickets/{ticket.number}", as_=customer).get_json()
    assert seen["tags"] == [] and seen["team"] is None and seen["due_at"] is None
    assert seen["assignee"]["name"] == agent.name  # the portal shows the assignee too
    refused = ApiClient(app).get("/tickets?sort=due", as_=customer)
    assert refused.status_code == 422 and "sort" in problem(refused)["errors"]


def test_only_admins_delete_tickets(app, customer, agent, admin):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    assert api.delete(f"/tickets/{ticket.number}", as_=agent).status_code == 403
    deleted = api.delete(f"/tickets/{ticket.number}", as_=admin)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert api.get(f"/tickets/{ticket.number}", as_=admin).status_code == 404


# --- messages ------------------------------------------------------------------------------

def test_customers_never_write_internal_notes(app, customer):
    ticket = make_ticket(customer)
    response = ApiClient(app).post(f"/tickets/{ticket.number}/messages", as_=customer,
                                   json={"body": "Secret?", "internal": True})
    assert response.status_code == 403 and problem(response)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_an_agent_who_is_not_the_assignee_may_only_add_internal_notes(
        app, customer, agent, other_agent):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    public = api.post(f"/tickets/{ticket.number}/messages", as_=other_agent,
                      json={"body": "Hello"})
    assert public.status_code == 403
    note = api.post(f"/tickets/{ticket.number}/messages", as_=other_agent,
                    json={"body": "FYI", "internal": True})
    assert note.status_code == 201


def test_a_reply_to_a_closed_ticket_is_a_409(app, customer, agent):
    ticket = _taken(customer, agent)
    ticket.status = Status.CLOSED
    db.session.commit()
    response = ApiClient(app).post(f"/tickets/{ticket.number}/messages", as_=customer,
                                   json={"body": "Still broken"})
    assert response.status_code == 409 and "follow-up" in problem(response)["detail"]


def test_authors_edit_and_delete_their_messages_and_the_history_keeps_them(
        app, customer, agent, admin):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    mine = api.post(f"/tickets/{ticket.number}/messages", as_=customer,
                    json={"body": "My order is 123"}).get_json()
    edited = api.patch(f"/messages/{mine['id']}", as_=customer, json={"body": "Order 124"})
    assert edited.status_code == 200
    assert edited.get_json()["body"] == "Order 124" and edited.get_json()["edited_at"]
    # Someone else's message: the agent may not; an admin may.
    assert api.patch(f"/messages/{mine['id']}", as_=agent,
                     json={"body": "No"}).status_code == 403
    assert api.delete(f"/messages/{mine['id']}", as_=admin).status_code == 204
    assert api.delete(f"/messages/{mine['id']}", as_=admin).status_code == 404
    events = db.session.execute(db.select(AuditEvent.action, AuditEvent.old_value,
                                          AuditEvent.actor_id)
                                .where(AuditEvent.action.like("message_%"))
                                .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("message_edited", "My order is 123", customer.id),
                                          ("message_deleted", "Order 124", admin.id)]


def test_customers_cannot_reach_internal_notes_by_id(app, customer, agent):
    ticket = _taken(customer, agent)
    note = conversation.post_reply(ticket, agent, "Internal", internal=True)
    api = ApiClient(app)
    assert api.patch(f"/messages/{note.id}", as_=customer,
                     json={"body": "x"}).status_code == 404
    assert api.delete(f"/messages/{note.id}", as_=customer).status_code == 404
    note_event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "internal_note"))
    assert note_event.internal is True


def test_editing_an_internal_note_is_an_internal_event(app, customer, agent):
    ticket = _taken(customer, agent)
    note = conversation.post_reply(ticket, agent, "Draft", internal=True)
    assert ApiClient(app).patch(f"/messages/{note.id}", as_=agent,
                                json={"body": "Final"}).status_code == 200
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "message_edited"))
    assert event.internal is True


# --- files ---------------------------------------------------------------------------------

def test_files_pass_the_same_checks_as_on_the_pages(app, customer):
    ticket = make_ticket(customer)
    api = ApiClient(app)
    fake = api.upload(f"/tickets/{ticket.number}/attachments",
                      [("photo.png", b"<html><script>alert(1)</script>")], as_=customer)
    assert fake.status_code == 422 and "file" in problem(fake)["errors"]
    none = api.post(f"/tickets/{ticket.number}/attachments", as_=customer,
                    data={"message": "1"}, content_type="multipart/form-data")
    assert none.status_code == 422 and "file" in problem(none)["errors"]
    as_json = api.post(f"/tickets/{ticket.number}/attachments", as_=customer, json={})
    assert as_json.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_files_on_an_internal_note_never_reach_the_customer(app, customer, agent):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    note = api.post(f"/tickets/{ticket.number}/messages", as_=agent,
                    json={"body": "Label scan", "internal": True}).get_json()
    stored = api.upload(f"/tickets/{ticket.number}/attachments", [("scan.pdf", PDF_BYTES)],
                        as_=agent, message=str(note["id"]))
    assert stored.status_code == 201, stored.get_json()
    file_id = stored.get_json()["items"][0]["id"]
    as_agent = api.get(f"/attachments/{file_id}", as_=agent)
    assert as_agent.status_code == 200 and as_agent.data == PDF_BYTES
    assert as_agent.headers["Content-Disposition"].startswith("attachment")
    as_agent.close()
    hidden = api.get(f"/attachments/{file_id}", as_=customer)
    assert hidden.status_code == 404 and problem(hidden)
    thread = api.get(f"/tickets/{ticket.number}/messages", as_=customer).get_json()["items"]
    assert thread == []
    detail = api.get(f"/tickets/{ticket.number}", as_=customer).get_json()
    assert detail["attachments"] == []


def test_public_files_on_the_ticket_are_for_the_requester_and_those_who_work_it(
        app, customer, agent, other_agent, other_customer):
    ticket = _taken(customer, agent)
    api = ApiClient(app)
    path = f"/tickets/{ticket.number}/attachments"
    assert api.upload(path, [("a.png", PNG_BYTES)], as_=other_agent).status_code == 403
    assert api.upload(path, [("a.png", PNG_BYTES)], as_=other_customer).status_code == 404
    made = api.upload(path, [("a.png", PNG_BYTES)], as_=agent)
    assert made.status_code == 201
    file_id = made.get_json()["items"][0]["id"]
    download = api.get(f"/attachments/{file_id}", as_=customer)
    assert download.status_code == 200 and download.data == PNG_BYTES
    download.close()
    assert api.get(f"/attachments/{file_id}", as_=other_customer).status_code == 404
    # Someone else's message is not theirs to attach to.
    reply = conversation.post_reply(ticket, agent, "Here you go")
    theirs = api.upload(path, [("b.png", PNG_BYTES)], as_=customer, message=str(reply.id))
    assert theirs.status_code == 403


def test_a_customer_role_user_is_shown_as_the_author_role(app, customer, agent):
    ticket = _taken(customer, agent)
    conversation.post_reply(ticket, customer, "Thanks")
    items = ApiClient(app).get(f"/tickets/{ticket.number}/messages",
                               as_=agent).get_json()["items"]
    assert items[0]["author"] == {"id": customer.id, "name": customer.name,
                                  "role": "customer"}
    make_user(Role.CUSTOMER)  # unrelated people change nothing


def test_the_workspace_history_tells_of_edited_and_deleted_messages(app, client, customer,
                                                                    agent):
    ticket = _taken(customer, agent)
    reply = conversation.post_reply(ticket, agent, "Frist answer")
    api = ApiClient(app)
    api.patch(f"/messages/{reply.id}", as_=agent, json={"body": "First answer"})
    api.delete(f"/messages/{reply.id}", as_=agent)
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert "edited a message" in html and "Frist answer" in html
    assert "deleted a message" in html


def test_json_nested_too_deeply_is_a_400_not_a_crash(app, customer):
    response = ApiClient(app).post("/tickets", as_=customer, data="[" * 100_000,
                                   content_type="application/json")
    assert response.status_code == 400 and problem(response)
