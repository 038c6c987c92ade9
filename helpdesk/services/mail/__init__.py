"""E-mail, both ways.

- outbox: every mail is a row written in the transaction of the change that causes it
  (rendered from templates/mail/, with threading headers and a per-ticket Reply-To);
- sending: the worker's task that hands due rows to the SMTP server, with retries;
- tokens: the signed per-ticket token in support+<token>@domain;
- parsing, threading, ingest: mail in (an MTA pipe or an IMAP mailbox) becomes tickets,
  replies or notes by one set of rules; fetching polls the mailbox.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from ..background import tasks
    from .sending import send_due_mail
    tasks.register("mail", send_due_mail)
