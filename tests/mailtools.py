"""Helpers for the e-mail tests: the app pointed at the test SMTP server, the worker run
once, and mail built the way clients send it."""
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from helpdesk.services.mail.sending import send_due_mail

BASE_URL = "https://help.example.com"
SUPPORT = "support@help.example.com"


@pytest.fixture
def smtp(app_config, smtp_server):
    """The app sends to the test SMTP server; list it before `app` in a test's arguments."""
    app_config.update(MAIL_HOST=smtp_server.host, MAIL_PORT=smtp_server.port,
                      MAIL_FROM=f"Helpdesk <{SUPPORT}>", SUPPORT_ADDRESS=SUPPORT,
                      BASE_URL=BASE_URL, MAIL_TIMEOUT=1, DELIVERY_BACKOFF_SECONDS=1)
    return smtp_server


def send_mail() -> int:
    """What `flask worker --once` does for mail."""
    return send_due_mail()


def mail(*, sender: str, to: str = SUPPORT, subject: str = "Help", text: str | None = "Hello",
         html: str | None = None, message_id: str | None = None, headers: dict | None = None,
         files: tuple = ()) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="client.example")
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for name, data, mime in files:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
