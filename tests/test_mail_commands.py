"""`flask mail ingest` (file or standard input, exit codes for an MTA) and `flask mail
fetch` against a real IMAP server (Dovecot, tests/mailservers.py)."""
from conftest import make_ticket
from mailtools import mail, send_mail
from sqlalchemy import select

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Message, Ticket
from helpdesk.services.mail import tokens


def test_ingest_reads_a_file_and_prints_the_ticket_number(smtp, app, runner, tmp_path):
    path = tmp_path / "one.eml"
    path.write_bytes(mail(sender="pipe@example.org", subject="From a file"))
    result = runner.invoke(args=["mail", "ingest", str(path)])
    assert result.exit_code == 0, result.output
    number = db.session.scalar(select(Ticket.number))
    assert result.output.startswith(f"created {number}")
    again = runner.invoke(args=["mail", "ingest", str(path)])
    assert again.exit_code == 0 and again.output.startswith("duplicate")


def test_ingest_reads_standard_input_as_an_mta_pipe_delivers_it(smtp, app, runner):
    result = runner.invoke(args=["mail", "ingest"],
                           input=mail(sender="stdin@example.org", subject="Piped"))
    assert result.exit_code == 0 and "created" in result.output
    auto = runner.invoke(args=["mail", "ingest"], input=mail(
        sender="ooo@example.org", headers={"Auto-Submitted": "auto-replied"}))
    assert auto.exit_code == 0 and auto.output.startswith("ignored")


def test_ingest_exits_65_for_a_message_it_cannot_read(app, runner):
    result = runner.invoke(args=["mail", "ingest"], input=b"not a mail at all")
    assert result.exit_code == 65
    assert db.session.scalar(select(Ticket)) is None


def test_ingest_exits_75_when_the_database_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    result = app.test_cli_runner().invoke(args=["mail", "ingest"],
                                          input=mail(sender="later@example.org"))
    assert result.exit_code == 75, result.output
    with app.app_context():
        db.engine.dispose()


def test_fetch_without_a_mailbox_says_so(app, runner):
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 78 and "HELPDESK_IMAP_URL" in result.output


def test_fetch_ingests_the_inbox_and_moves_what_it_handled(smtp, imap_server, app_config, app,
                                                           runner, customer):
    app.config.update(IMAP_URL=imap_server.url(), IMAP_CA_FILE=imap_server.cafile)
    ticket = make_ticket(customer, subject="Existing")
    ticket_id = ticket.id  # each fetched message gets a fresh session: objects detach
    imap_server.deliver(mail(sender="imap-new@example.org", subject="By IMAP"))
    imap_server.deliver(mail(sender=customer.email, to=tokens.reply_address(ticket),
                             text="Reply over IMAP"))
    imap_server.deliver(b"Subject: nobody sent this\r\n\r\nno sender\r\n")
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 0, result.output
    assert "2 handled, 1 unreadable." in result.output
    counts = imap_server.counts()
    assert (counts["INBOX"], counts["Processed"], counts["Unreadable"]) == (0, 2, 1)
    assert db.session.scalar(select(Ticket).where(Ticket.subject == "By IMAP")) is not None
    assert db.session.scalar(select(Message.body).where(Message.ticket_id == ticket_id)
                             .order_by(Message.id.desc())) == "Reply over IMAP"
    send_mail()
    assert smtp.messages_to("imap-new@example.org")  # the acknowledgement went out
    again = runner.invoke(args=["mail", "fetch"])
    assert again.exit_code == 0 and "0 handled" in again.output


def test_fetch_with_a_wrong_password_leaves_the_mail_and_exits_75(imap_server, app, runner):
    url = imap_server.url().replace(f":{imap_server.password}@", ":wrong@")
    app.config.update(IMAP_URL=url, IMAP_CA_FILE=imap_server.cafile)
    imap_server.deliver(mail(sender="stay@example.org"))
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 75
    assert imap_server.count("INBOX") == 1


def test_fetch_refuses_a_server_it_cannot_trust(imap_server, app, runner):
    app.config.update(IMAP_URL=imap_server.url())  # the test CA is not trusted
    imap_server.deliver(mail(sender="stay@example.org"))
    result = runner.invoke(args=["mail", "fetch"])
    assert result.exit_code == 75 and "certificate" in result.output.lower()
    assert imap_server.count("INBOX") == 1
