"""`flask mail ingest [FILE]` and `flask mail fetch`: mail in, from an MTA pipe, a file or
an IMAP mailbox. Exit codes follow sysexits(3), as MTAs expect from a pipe command:
0 handled or deliberately ignored, 65 a message that cannot be read, 75 try again later
(the database or the mailbox is unreachable)."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .services.mail.fetching import MailboxError, fetch_mailbox
from .services.mail.ingest import ingest_message
from .services.mail.parsing import UnreadableMail

EX_DATAERR = 65
EX_TEMPFAIL = 75
EX_CONFIG = 78
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)


mail_group = AppGroup("mail", help="Mail in: ingest one message, or fetch a mailbox.")


@mail_group.command("ingest")
@click.argument("file", type=click.File("rb"), default="-")
def ingest_command(file) -> None:
    """Take one RFC 5322 message from FILE (default: standard input)."""
    raw = file.read()
    try:
        result = ingest_message(raw)
    except UnreadableMail as error:
        click.echo(f"cannot read this message: {error}", err=True)
        sys.exit(EX_DATAERR)
    except UNREACHABLE as error:
        _unreachable(error)
    click.echo(result.summary)


@mail_group.command("fetch")
def fetch_command() -> None:
    """Poll HELPDESK_IMAP_URL once, ingest what is new, move it out of the inbox."""
    if not current_app.config.get("IMAP_URL"):
        click.echo("HELPDESK_IMAP_URL is not set: there is no mailbox to fetch.", err=True)
        sys.exit(EX_CONFIG)
    try:
        report = fetch_mailbox()
    except MailboxError as error:
        click.echo(str(error), err=True)
        sys.exit(EX_TEMPFAIL)
    except UNREACHABLE as error:
        _unreachable(error)
    for line in report.lines:
        click.echo(line)
    click.echo(f"{report.handled} handled, {report.unreadable} unreadable.")


def _unreachable(error: Exception) -> None:
    reason = getattr(error, "orig", None) or error
    click.echo(f"the database is unreachable, try again later: {reason}", err=True)
    sys.exit(EX_TEMPFAIL)
