"""Webhooks: deliveries are queued in the transaction of the change and sent by the
worker to a real HTTP server on a loopback port, signed, retried after a 5xx, never
sent for a rolled-back change; internal notes reach only hooks marked for them; private
targets are refused unless the server's setting allows them."""
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import PNG_BYTES, login, make_ticket, make_user, upload
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from helpdesk import worker
from helpdesk.extensions import db
from helpdesk.models import (
    AuditEvent,
    Role,
    Status,
    Ticket,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from helpdesk.models.deliveries import DeliveryState
from helpdesk.services.errors import Forbidden, InvalidInput
from helpdesk.services.tickets import assignment, conversation, details, feedback, opening
from helpdesk.services.tickets import status as ticket_status
from helpdesk.services.unit_of_work import unit_of_work
from helpdesk.services.webhooks import hooks, send_due_deliveries
from helpdesk.services.webhooks.targets import not_public

ALL_EVENTS = ["ticket.created", "ticket.updated", "ticket.status_changed",
              "message.created", "feedback.created"]


class Receiver:
    """A real HTTP server on 127.0.0.1: records every request, answers with the next
    queued status (200 when none is queued)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/helpdesk?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def at(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [r["headers"]["X-Helpdesk-Event"] for r in self.requests]


@pytest.fixture
def app_config(app_config):
    app_config.update(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
    return app_config


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _hook(admin, url, events=("ticket.created",), **fields) -> Webhook:
    return hooks.create_webhook(admin, url=url, events=list(events), **fields)


def _deliveries(**where) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).filter_by(**where)
                                   .order_by(WebhookDelivery.id)))


def _time_passes() -> None:
    """The backoff has run out: every queued delivery is due now."""
    with unit_of_work():
        db.session.execute(update(WebhookDelivery)
                           .where(WebhookDelivery.state == DeliveryState.QUEUED)
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


def _signature_ok(request, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"],
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Helpdesk-Signature"], expected)


# --- delivery ------------------------------------------------------------------------------

def test_a_new_ticket_is_delivered_signed_to_a_real_server(app, admin, customer, receiver):
    hook = _hook(admin, receiver.url)
    ticket = make_ticket(customer, subject="Parcel arrived damaged")
    queued = _deliveries()
    assert [d.event for d in queued] == ["ticket.created"]
    assert queued[0].state == DeliveryState.QUEUED and receiver.requests == []

    assert send_due_deliveries() == 1
    [request] = receiver.requests
    assert request["path"] == "/hooks/helpdesk?x=1"
    assert _signature_ok(request, hook.secret)
    assert not _signature_ok(request, "another secret")
    headers, body = request["headers"], json.loads(request["body"])
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Helpdesk-Event"] == "ticket.created"
    assert headers["X-Helpdesk-Delivery"] == str(queued[0].id) == str(body["delivery_id"])
    assert headers["X-Helpdesk-Timestamp"] == str(body["timestamp"])
    assert headers["Host"] == f"127.0.0.1:{receiver.server.server_port}"
    assert body["event"] == "ticket.created"
    assert body["ticket"]["number"] == ticket.number
    assert body["ticket"]["requester"]["email"] == customer.email
    assert body["ticket"]["status"] == "new"
    assert body["actor"]["id"] == customer.id
    db.session.refresh(queued[0])
    assert (queued[0].state, queued[0].attempts, queued[0].response_status) == (
        DeliveryState.SENT, 1, 200)
    assert send_due_deliveries() == 0  # sent once, not again


def test_a_500_is_retried_with_the_same_delivery_id_then_succeeds(app, admin, customer,
                                                                  receiver):
    hook = _hook(admin, receiver.url)
    make_ticket(customer)
    receiver.statuses = [500]
    send_due_deliveries()
    [delivery] = _deliveries()
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        DeliveryState.QUEUED, 1, 500)
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at > utcnow()  # backing off
    assert send_due_deliveries() == 0

    _time_passes()
    send_due_deliveries()
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        DeliveryState.SENT, 2, 200)
    first, second = receiver.requests
    assert first["headers"]["X-Helpdesk-Delivery"] == second["headers"]["X-Helpdesk-Delivery"]
    assert _signature_ok(first, hook.secret) and _signature_ok(second, hook.secret)


@pytest.mark.parametrize(("status", "state"), [(410, DeliveryState.FAILED),
                                               (302, DeliveryState.FAILED),
                                               (429, DeliveryState.QUEUED),
                                               (503, DeliveryState.QUEUED)])
def test_other_answers_fail_at_once_or_retry(app, admin, customer, receiver, status, state):
    _hook(admin, receiver.url)
    make_ticket(customer)
    receiver.statuses = [status]
    send_due_deliveries()
    [delivery] = _deliveries()
    assert (delivery.state, delivery.response_status) == (state, status)


def test_a_receiver_that_is_down_is_retried_until_the_attempts_run_out(app, admin, customer,
                                                                       receiver):
    app.config["DELIVERY_MAX_ATTEMPTS"] = 2
    _hook(admin, receiver.url)
    make_ticket(customer)
    receiver.close()  # nothing listens on the port any more
    send_due_deliveries()
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.QUEUED and delivery.response_status is None
    assert delivery.last_error
    _time_passes()
    send_due_deliveries()
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)


def test_nothing_is_queued_or_sent_for_a_rolled_back_change(app, admin, customer, receiver):
    _hook(admin, receiver.url, events=ALL_EVENTS)
    with pytest.raises(RuntimeError), unit_of_work():
        ticket = make_ticket(customer, subject="Never saved")
        assert len(_deliveries()) == 1  # queued inside the transaction...
        raise RuntimeError("something failed after the event")
    assert _deliveries() == []  # ...and gone with it
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert send_due_deliveries() == 0
    assert receiver.requests == []
    del ticket


def test_events_must_be_published_inside_a_unit_of_work(app, customer):
    from helpdesk.services import events
    with pytest.raises(RuntimeError):
        events.publish("ticket.created", Ticket())


def test_internal_notes_reach_only_hooks_marked_internal(app, admin, customer, agent,
                                                         receiver):
    public = _hook(admin, receiver.at("/public"), events=["message.created"])
    internal = _hook(admin, receiver.at("/internal"), events=["message.created"],
                     include_internal=True)
    ticket = make_ticket(customer)
    assignment.take_ticket(ticket, agent)
    stream, name = upload("note.png", PNG_BYTES)
    conversation.post_reply(ticket, agent, "Internal: check the warehouse", internal=True,
                            files=[FileStorage(stream=stream, filename=name)])
    assert [d.webhook_id for d in _deliveries()] == [internal.id]
    conversation.post_reply(ticket, agent, "Public: on its way")
    assert [d.webhook_id for d in _deliveries()] == [internal.id, public.id, internal.id]

    send_due_deliveries()
    received = {}
    for request in receiver.requests:
        hook = public if request["path"] == "/public" else internal
        assert _signature_ok(request, hook.secret)
        received.setdefault(request["path"], []).append(json.loads(request["body"]))
    assert [m["message"]["body"] for m in received["/public"]] == ["Public: on its way"]
    internal_bodies = [m["message"] for m in received["/internal"]]
    assert [(m["body"], m["internal"]) for m in internal_bodies] == [
        ("Internal: check the warehouse", True), ("Public: on its way", False)]
    assert internal_bodies[0]["attachments"][0]["filename"] == "note.png"


def test_each_event_reaches_the_hooks_that_want_it(app, admin, customer, agent, receiver):
    every = _hook(admin, receiver.url, events=ALL_EVENTS)
    status_only = _hook(admin, receiver.url, events=["ticket.status_changed"])
    _hook(admin, receiver.url, events=ALL_EVENTS, active=False)
    ticket = make_ticket(customer)
    assignment.take_ticket(ticket, agent)            # ticket.updated + status_changed
    assignment.change_priority(ticket, agent, "high")
    details.update_details(ticket, agent, tags="refund")
    conversation.post_reply(ticket, customer, "Any news?")
    ticket_status.change_status(ticket, agent, Status.RESOLVED)
    feedback.submit_feedback(ticket, customer, 4, "Thanks")
    got = [(d.webhook_id, d.event) for d in _deliveries()]
    assert [e for h, e in got if h == status_only.id] == ["ticket.status_changed"] * 2
    assert [e for h, e in got if h == every.id] == [
        "ticket.created", "ticket.updated", "ticket.status_changed", "ticket.updated",
        "ticket.updated", "message.created", "ticket.status_changed", "feedback.created"]
    payloads = [json.loads(d.payload) for d in _deliveries(webhook_id=every.id)]
    assert payloads[1]["changes"] == ["assignee"]
    assert (payloads[2]["old_status"], payloads[2]["new_status"]) == ("new", "in_progress")
    assert payloads[4]["changes"] == ["tags"] and payloads[4]["ticket"]["tags"] == ["refund"]
    assert payloads[5]["message"]["body"] == "Any news?"
    assert payloads[7]["feedback"] == {"rating": 4, "comment": "Thanks"}


def test_the_worker_command_sends_webhooks(app, admin, customer, receiver, runner):
    _hook(admin, receiver.url)
    make_ticket(customer)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "webhooks: 1" in result.output
    assert receiver.events() == ["ticket.created"]
    assert worker.run(once=True)["webhooks"] == 0


# --- targets -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook", "http://[fe80::1]/hook", "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://224.0.0.1/hook", "http://100.64.0.1/hook"])
def test_private_targets_are_refused_when_the_setting_is_off(app, admin, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False
    with pytest.raises(InvalidInput) as refused:
        _hook(admin, url)
    assert refused.value.field == "url"
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 0


@pytest.mark.parametrize("url", ["ftp://example.com/x", "https://", "not a url",
                                 "http://user:pass@93.184.216.34/", "http://no-such-host.invalid/"])
def test_urls_that_cannot_receive_webhooks_are_refused(app, admin, url):
    with pytest.raises(InvalidInput):
        _hook(admin, url)


def test_a_public_address_is_accepted_with_the_setting_off(app, admin):
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False
    assert _hook(admin, "https://93.184.216.34/hook").id  # checked, not contacted
    assert not_public(__import__("ipaddress").ip_address("93.184.216.34")) is None


def test_the_target_is_checked_again_at_delivery(app, admin, customer, receiver):
    _hook(admin, receiver.url)
    make_ticket(customer)
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False  # e.g. the name now points inside
    send_due_deliveries()
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.FAILED and "loopback" in delivery.last_error
    assert receiver.requests == []


# --- managing hooks ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["agent", "customer"])
def test_only_admins_manage_webhooks(request, app, admin, who):
    person = request.getfixturevalue(who)
    with pytest.raises(Forbidden):
        _hook(person, "https://93.184.216.34/")
    hook = _hook(admin, "https://93.184.216.34/")
    for action in (hooks.rotate_secret, hooks.delete_webhook):
        with pytest.raises(Forbidden):
            action(person, hook)


def test_events_must_be_chosen_from_the_list(app, admin):
    for events in ([], ["ticket.deleted"]):
        with pytest.raises(InvalidInput) as refused:
            _hook(admin, "https://93.184.216.34/", events=events)
        assert refused.value.field == "events"


def test_console_shows_the_secret_once_then_masked(app, client, admin, receiver):
    login(client, admin)
    response = client.post("/admin/webhooks/new", data={
        "url": receiver.url, "events": ["ticket.created", "message.created"],
        "description": "CRM", "active": "y"})
    assert response.status_code == 200
    hook = db.session.scalar(select(Webhook))
    assert hook.event_names == ["ticket.created", "message.created"]
    assert hook.secret in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert hook.secret not in listing and hook.masked_secret in listing
    edit = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert hook.secret not in edit

    old = hook.secret
    rotated = client.post(f"/admin/webhooks/{hook.id}/secret")
    db.session.refresh(hook)
    assert hook.secret != old and hook.secret in rotated.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "webhook_secret_rotated"))


def test_console_refuses_a_private_url_next_to_the_field(app, client, admin):
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False
    login(client, admin)
    response = client.post("/admin/webhooks/new", data={
        "url": "http://169.254.169.254/", "events": ["ticket.created"], "active": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "link-local address" in html and 'id="url-error"' in html


def test_console_edits_and_deletes_hooks(app, client, admin, receiver):
    hook = _hook(admin, receiver.url)
    login(client, admin)
    response = client.post(f"/admin/webhooks/{hook.id}", data={
        "url": receiver.url, "events": ["feedback.created"], "include_internal": "y"})
    assert response.status_code == 302
    db.session.refresh(hook)
    assert hook.event_names == ["feedback.created"] and hook.include_internal
    assert not hook.active  # the checkbox was left unticked
    assert client.post(f"/admin/webhooks/{hook.id}", data={
        "url": receiver.url}).status_code == 400  # no event chosen
    assert client.post(f"/admin/webhooks/{hook.id}/delete").status_code == 302
    assert db.session.get(Webhook, hook.id) is None


def test_the_delivery_log_shows_failures_and_retries_them(app, client, admin, customer,
                                                          receiver):
    hook = _hook(admin, receiver.url)
    make_ticket(customer)
    receiver.statuses = [404]
    send_due_deliveries()
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.FAILED
    login(client, admin)
    log = client.get(f"/admin/webhooks/{hook.id}/deliveries").get_data(as_text=True)
    assert "Failed" in log and "404" in log and "not retried" in log and "Retry" in log

    retried = client.post(f"/admin/webhooks/{hook.id}/deliveries/{delivery.id}/retry")
    assert retried.status_code == 302
    db.session.refresh(delivery)
    assert delivery.state == DeliveryState.QUEUED
    send_due_deliveries()
    db.session.refresh(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert "Sent" in client.get(f"/admin/webhooks/{hook.id}/deliveries").get_data(
        as_text=True)
    # A sent delivery is not sent again by hand; another hook's delivery is not found.
    client.post(f"/admin/webhooks/{hook.id}/deliveries/{delivery.id}/retry")
    db.session.refresh(delivery)
    assert delivery.state == DeliveryState.SENT
    other = _hook(admin, receiver.url)
    assert client.post(f"/admin/webhooks/{other.id}/deliveries/{delivery.id}/retry"
                       ).status_code == 404


def test_opening_for_a_customer_names_the_agent_as_actor(app, admin, agent, customer,
                                                         receiver):
    _hook(admin, receiver.url)
    opening.open_for_customer(agent, customer_email=customer.email, subject="Phoned in",
                              description="By phone")
    [delivery] = _deliveries()
    payload = json.loads(delivery.payload)
    assert payload["actor"]["id"] == agent.id
    assert payload["ticket"]["requester"]["id"] == customer.id


def test_deleting_a_hook_drops_its_queued_deliveries(app, admin, customer, receiver):
    hook = _hook(admin, receiver.url)
    make_ticket(customer)
    hooks.delete_webhook(admin, hook)
    assert _deliveries() == [] and send_due_deliveries() == 0


def test_a_switched_off_hook_gets_nothing_and_queued_ones_are_not_sent(app, admin, customer,
                                                                      receiver):
    hook = _hook(admin, receiver.url)
    make_ticket(customer)
    hooks.update_webhook(admin, hook, url=hook.url, events=hook.event_names, active=False)
    make_ticket(make_user(Role.CUSTOMER))
    send_due_deliveries()
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.FAILED and "switched off" in delivery.last_error
    assert receiver.requests == []


def test_auto_close_reads_the_hooks_once_per_batch(app, admin, agent, customer, receiver):
    from test_queue_queries import counting

    from helpdesk.services.tickets import housekeeping
    _hook(admin, receiver.url, events=["ticket.status_changed"])
    for i in range(3):
        ticket = make_ticket(customer, subject=f"Done {i}")
        assignment.take_ticket(ticket, agent)
        ticket_status.change_status(ticket, agent, Status.RESOLVED)
    before = len(_deliveries())
    with counting() as statements:
        assert housekeeping.autoclose(now=utcnow() + timedelta(days=30)) == 3
    assert len(_deliveries()) == before + 3
    assert sum("FROM webhooks" in s for s in statements) == 1
