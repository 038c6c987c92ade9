"""The worker's mail task: hand due outbox rows to the SMTP server.

One connection serves a whole batch. The server's answer is kept on the row for the
delivery log. SMTP 5xx answers are permanent (the address or the message is refused:
no retry); 4xx answers, timeouts and dropped connections are retried with backoff
(services/background/deliveries.py).
"""
import smtplib
import ssl

from flask import current_app

from ...models import OutboxMail
from ..background.deliveries import DeliveryFailed, deliver_due
from .outbox import mail_enabled
from .tokens import parse_address

REPLY_TEXT_MAX = 500


BATCH = 100


def send_due_mail() -> int:
    """The worker task: send everything that is due (a failed mail waits for its next
    attempt); returns how many mails were attempted."""
    if not mail_enabled():
        return 0
    total = 0
    with SmtpSession() as session:
        while True:
            attempted = deliver_due(OutboxMail, session.send, limit=BATCH)
            total += attempted
            if attempted < BATCH:
                return total


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())[:REPLY_TEXT_MAX]


class SmtpSession:
    """A connection opened on the first mail of a batch and reused for the rest."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def _connect(self) -> smtplib.SMTP:
        cfg = current_app.config
        smtp = smtplib.SMTP(cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        try:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, row: OutboxMail) -> None:
        """Send one row; raise DeliveryFailed (permanent for 5xx) or OSError."""
        try:
            if self.smtp is None:
                self.smtp = self._connect()
        except smtplib.SMTPResponseException as error:
            # The server turned the connection or our login away (421 busy, 554 no
            # service, 535 bad login): nothing wrong with this mail, try again later.
            self.close_quietly()
            row.server_reply = _reply_text(error.smtp_code, error.smtp_error)
            raise DeliveryFailed(row.server_reply) from error
        except (OSError, smtplib.SMTPException) as error:
            row.server_reply = f"{type(error).__name__}: {error}"[:REPLY_TEXT_MAX]
            raise
        try:
            self._transaction(row)
        except smtplib.SMTPResponseException as error:
            self._reset()
            row.server_reply = _reply_text(error.smtp_code, error.smtp_error)
            raise DeliveryFailed(row.server_reply,
                                 permanent=500 <= error.smtp_code < 600) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close_quietly()
            row.server_reply = f"{type(error).__name__}: {error}"[:REPLY_TEXT_MAX]
            raise

    def _transaction(self, row: OutboxMail) -> None:
        smtp = self.smtp
        smtp.ehlo_or_helo_if_needed()
        sender = str(parse_address(current_app.config["MAIL_FROM"]).addr_spec)
        code, text = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        code, text = smtp.rcpt(row.to_address)
        if code not in (250, 251):
            raise smtplib.SMTPResponseException(code, text)
        code, text = smtp.data(row.raw.encode("utf-8"))  # raises unless DATA gets a 354
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        row.server_reply = _reply_text(code, text)

    def _reset(self) -> None:
        """After a refusal the connection is still good: forget the half transaction."""
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException, AttributeError):
            self.close_quietly()

    def close_quietly(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None
