"""The console's mail pages: the delivery log with the server's answer, Retry, and the
log of mail received. Admins only."""
from conftest import login, make_ticket
from mailtools import mail, send_mail
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, OutboxMail
from helpdesk.models.deliveries import DeliveryState
from helpdesk.services.mail.ingest import ingest_message
from helpdesk.services.tickets import assignment


def test_the_delivery_log_shows_failures_with_the_answer_and_retry_sends_again(
        smtp, app, client, customer, admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    smtp.refuse(10, 550, message="550 5.1.1 <customer> No such user here", at="rcpt")
    send_mail()
    failed = db.session.scalar(select(OutboxMail).where(
        OutboxMail.to_address == customer.email))
    assert failed.state == DeliveryState.FAILED
    login(client, admin)
    console = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/mail">Mail</a>' in console
    page = client.get("/admin/mail?state=failed").get_data(as_text=True)
    assert "550 5.1.1 &lt;customer&gt; No such user here" in page
    assert f"/admin/mail/{failed.id}/retry" in page
    smtp.clear()
    smtp._faults.clear()
    response = client.post(f"/admin/mail/{failed.id}/retry")
    assert response.status_code == 302
    db.session.refresh(failed)
    assert failed.state == DeliveryState.QUEUED
    send_mail()
    db.session.refresh(failed)
    assert failed.state == DeliveryState.SENT
    assert len(smtp.messages_to(customer.email)) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_retried"))
    assert client.post(f"/admin/mail/{failed.id}/retry").status_code == 302  # flashed refusal


def test_the_incoming_log_lists_what_became_of_each_message(smtp, app, client, admin):
    ingest_message(mail(sender="someone@example.org", subject="Please help"))
    ingest_message(mail(sender="robot@example.org", subject="Out of office",
                        headers={"Auto-Submitted": "auto-replied"}))
    login(client, admin)
    page = client.get("/admin/mail/incoming").get_data(as_text=True)
    assert "Please help" in page and "Out of office" in page and "Auto-Submitted" in page
    ignored = client.get("/admin/mail/incoming?outcome=ignored").get_data(as_text=True)
    assert "Out of office" in ignored and "Please help" not in ignored


def test_only_admins_see_the_mail_pages(app, client, agent, customer):
    for user in (agent, customer):
        login(client, user)
        assert client.get("/admin/mail").status_code == 403
        assert client.get("/admin/mail/incoming").status_code == 403
        assert client.post("/admin/mail/1/retry").status_code == 403
        client.post("/auth/logout")


def test_a_category_can_take_mail_at_its_own_address(app, client, admin):
    login(client, admin)
    response = client.post("/admin/categories/new", data={
        "name": "Returns", "mail_address": "Returns@Help.example.com", "active": "y",
        "position": 0})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    clash = client.post("/admin/categories/new", data={
        "name": "Refunds", "mail_address": "returns@help.example.com", "position": 0})
    assert clash.status_code == 400 and "already opens tickets" in clash.get_data(as_text=True)
