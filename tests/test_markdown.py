"""Messages are Markdown, rendered and sanitized in one place (services/text/markdown.py,
the `message_html` filter): XSS attempts come back inert on every page that shows a
message; old plain-text messages render as before; images show only for the message's
own attachments, through the permission-checked download route."""
import email
import email.policy
import io
import re

import pytest
from conftest import PNG_BYTES, login, make_ticket, upload
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import Message, OutboxMail, Status
from helpdesk.services.text.markdown import render_markdown
from helpdesk.services.tickets import conversation


def _png(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(PNG_BYTES), filename=name, content_type="image/png")


HOSTILE = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "![x](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "[x](vbscript:msgbox(1))",
    '![a" onerror="alert(1)](https://evil.example/p.png)',
]


def _inert(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/js/)", html, re.I)  # ours only
    assert not re.search(r"<(img|a|iframe)[^>]*\son\w+=", html, re.I)
    assert not re.search(r"<(a|img|iframe|embed|object)\b[^>]*\b(href|src)=[\"']?\s*"
                         r"(javascript|data|vbscript):", html, re.I)
    assert "<iframe" not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_inert(app, text):
    _inert(str(render_markdown(text)))


def test_markdown_renders_and_links_get_rel(app):
    html = str(render_markdown("**bold** and [a link](https://example.com)\n\n- one\n- two"))
    assert "<strong>bold</strong>" in html and "<li>one</li>" in html
    assert 'rel="noopener nofollow noreferrer"' in html


def test_images_show_only_for_resolved_attachments(app):
    html = str(render_markdown("![pic](attachment:pic.png) ![ext](https://t.example/p.gif)",
                               lambda src: "/files/7" if src == "attachment:pic.png" else None))
    assert '<img src="/files/7" alt="pic"' in html
    assert "t.example" not in html and "ext" in html


def _hostile_thread(customer, agent):
    ticket = make_ticket(customer, description="[x](javascript:alert(1)) <script>alert(2)</script>")
    ticket.assignee = agent
    db.session.commit()
    for text in HOSTILE:
        conversation.post_reply(ticket, customer, text)
        conversation.post_reply(ticket, agent, text)
    return ticket


def test_every_page_showing_messages_keeps_them_inert(smtp, app, client, customer, agent):
    """Portal, workspace, and the mail's HTML part (queued with the notifications)."""
    ticket = _hostile_thread(customer, agent)
    login(client, customer)
    portal = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    _inert(portal)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in portal
    client.post("/auth/logout")
    login(client, agent)
    workspace = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    _inert(workspace)
    mails = db.session.scalars(db.select(OutboxMail)).all()
    assert mails
    for mail in mails:
        raw = email.message_from_string(mail.raw, policy=email.policy.default)
        for part in raw.walk():
            if part.get_content_type() == "text/html":
                _inert(part.get_content())


def test_old_plain_text_messages_render_as_before(app, client, customer, agent, ticket):
    message = conversation.post_reply(ticket, customer, "line one\n**not bold** <b>x</b>")
    message.format = "text"
    db.session.commit()
    login(client, customer)
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "line one\n**not bold** &lt;b&gt;x&lt;/b&gt;" in html


def test_new_messages_are_markdown_and_mail_is_text(app, customer, ticket):
    message = conversation.post_reply(ticket, customer, "*hi*")
    assert message.format == "markdown" and ticket.description_format == "markdown"
    note = conversation.post_reply(ticket, customer, "*mail*", text_format="text")
    assert note.format == "text"


def test_pasted_image_shows_inline_for_who_may_see_it(app, client, customer, agent, ticket):
    ticket.assignee = agent
    db.session.commit()
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/reply", data={
        "body": "See ![pasted-1.png](attachment:pasted-1.png)",
        "attachments": [upload("pasted-1.png", PNG_BYTES)]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    message = db.session.scalars(db.select(Message).where(Message.ticket_id == ticket.id)
                                 .order_by(Message.id.desc())).first()
    file_id = message.attachments[0].id
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert f'<img src="/files/{file_id}" alt="pasted-1.png"' in html
    download = client.get(f"/files/{file_id}")
    assert download.status_code == 200
    download.close()


def test_an_image_naming_someone_elses_attachment_stays_text(
        app, client, customer, other_customer, agent):
    theirs = make_ticket(other_customer, files=[_png("secret.png")])
    secret_id = theirs.attachments[0].id
    mine = make_ticket(customer)
    conversation.post_reply(mine, customer, f"![x](attachment:{secret_id})")
    login(client, customer)
    html = client.get(f"/portal/tickets/{mine.number}").get_data(as_text=True)
    assert f"/files/{secret_id}" not in html


def test_internal_note_image_is_not_shown_to_the_customer(app, client, customer, agent, ticket):
    note = conversation.post_reply(ticket, agent, "![n](attachment:note.png)", internal=True,
                                   files=[_png("note.png")])
    login(client, customer)
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert f"/files/{note.attachments[0].id}" not in html


def test_preview_endpoint_renders_sanitized_fragment(app, client, customer):
    login(client, customer)
    response = client.post("/markdown/preview", data={"body": "**b** [x](javascript:alert(1))"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>b</strong>" in html
    _inert(html)


def test_preview_needs_sign_in(app, client):
    assert client.post("/markdown/preview", data={"body": "x"}).status_code in (302, 401)


def test_preview_without_javascript_rerenders_the_form(app, client, agent, ticket):
    ticket.assignee = agent
    ticket.status = Status.IN_PROGRESS
    db.session.commit()
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/preview",
                           data={"body": "Some **bold** words"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html and "Some **bold** words</textarea>" in html
    assert len(ticket.messages) == 0
