"""The mail-server fixtures themselves (tests/mailservers.py): real SMTP and IMAP round trips."""
import imaplib
import itertools
import smtplib
import ssl
import time
from email.message import EmailMessage

import pytest

_ids = itertools.count(1)


def mail(subject="Parcel arrived damaged", to="carla@example.com", body="The box was crushed."):
    msg = EmailMessage()
    msg["From"] = "helpdesk@example.com"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<mail-{next(_ids)}@test.example>"
    msg.set_content(body)
    return msg


def send(smtp_server, msg, timeout=5):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=timeout) as client:
        client.send_message(msg)


# --- SMTP ------------------------------------------------------------------------------------

def test_smtp_server_keeps_what_it_accepts_as_parsed_messages_with_their_envelope(smtp_server):
    send(smtp_server, mail("Grüße from the café", to="Carla <carla@example.com>",
                           body="Ünïcode body"))
    send(smtp_server, mail("Second", to="otto@example.com"))
    first, second = smtp_server.wait_for(2, timeout=5)
    assert first.mail_from == "helpdesk@example.com"
    assert first.rcpt_tos == ["carla@example.com"]
    assert first["Subject"] == "Grüße from the café"
    assert first.message["To"].addresses[0].addr_spec == "carla@example.com"
    assert first.text.strip() == "Ünïcode body"
    assert b"Subject:" in first.raw
    assert [m["Subject"] for m in smtp_server.messages_to("OTTO@example.com")] == ["Second"]
    assert smtp_server.messages_to("nobody@example.com") == []


def test_wait_for_fails_with_what_did_arrive(smtp_server):
    send(smtp_server, mail("Only one"))
    with pytest.raises(AssertionError, match=r"got 1 of 2 messages.*Only one"):
        smtp_server.wait_for(2, timeout=0.2)


def test_refused_messages_are_not_kept_and_the_next_one_is(smtp_server):
    smtp_server.refuse(2, 451)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(smtp_server, mail())
        assert refused.value.smtp_code == 451
    send(smtp_server, mail())
    assert len(smtp_server.wait_for(1)) == 1
    assert [(r.kind, r.stage, r.reply[:3]) for r in smtp_server.rejections] == [
        ("refuse", "data", "451")] * 2
    assert smtp_server.rejections[0].message["Subject"] == "Parcel arrived damaged"


def test_permanent_refusal_of_a_recipient(smtp_server):
    smtp_server.refuse(1, 550, at="rcpt")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_server, mail(to="gone@example.com"))
    assert refused.value.recipients["gone@example.com"][0] == 550
    assert smtp_server.messages == []
    send(smtp_server, mail(to="gone@example.com"))
    assert len(smtp_server.wait_for(1, to="gone@example.com")) == 1


def test_a_stall_outlasts_the_client_timeout_and_leaves_no_copy_behind(smtp_server):
    smtp_server.stall(1, seconds=1.0)
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        send(smtp_server, mail(), timeout=0.3)
    send(smtp_server, mail(), timeout=5)  # served while the first one still hangs
    time.sleep(1.0)  # the stall is over: its message has not turned up late either
    assert len(smtp_server.messages) == 1
    assert smtp_server.rejections[0].kind == "stall"


def test_a_stall_that_delivers_anyway_makes_a_duplicate(smtp_server):
    smtp_server.stall(1, seconds=0.6, deliver=True)
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        send(smtp_server, mail(), timeout=0.2)
    send(smtp_server, mail())
    assert len(smtp_server.wait_for(2, timeout=5)) == 2


def test_refuse_then_time_out_then_accept_delivers_exactly_once(smtp_server):
    """What a retrying worker will meet: faults are used up in the order they were queued."""
    smtp_server.refuse(1, 451)
    smtp_server.stall(1, seconds=1.0)
    outcomes = []
    for _ in range(5):
        try:
            send(smtp_server, mail(), timeout=0.3)
        except smtplib.SMTPResponseException as error:
            outcomes.append(error.smtp_code)
            continue
        except (smtplib.SMTPServerDisconnected, TimeoutError) as error:
            # smtplib reports a read timeout as "Connection unexpectedly closed: timed out"
            outcomes.append("timed out" if "timed out" in str(error) else str(error))
            continue
        outcomes.append("sent")
        break
    assert outcomes == [451, "timed out", "sent"]
    assert [r.kind for r in smtp_server.rejections] == ["refuse", "stall"]
    assert len(smtp_server.wait_for(1)) == 1  # and the stalled copy never turns up (see above)


# --- IMAP ------------------------------------------------------------------------------------

RAW = (b"From: Carla <carla@example.com>\r\nTo: support@helpdesk.test\r\n"
       b"Subject: Where is my parcel?\r\nMessage-ID: <parcel-1@example.com>\r\n\r\n"
       b"It was due on Monday.\r\n")


def test_append_over_imaps_fetch_it_back_and_move_it(imap_server):
    assert imap_server.folders() == ["INBOX"]  # every test gets a new, empty mailbox
    assert imap_server.count() == 0
    uid = imap_server.deliver(RAW)
    assert uid == 1
    with imaplib.IMAP4_SSL(imap_server.host, imap_server.ssl_port,
                           ssl_context=ssl.create_default_context(cafile=imap_server.cafile)
                           ) as imap:
        imap.login(imap_server.user, imap_server.password)
        imap.create("Processed")
        imap.select("INBOX")
        typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1].replace(b"\r\n", b"\n") == RAW.replace(b"\r\n", b"\n")
        typ, _ = imap.uid("MOVE", str(uid), "Processed")
        assert typ == "OK"
    assert imap_server.counts() == {"INBOX": 0, "Processed": 1}
    [moved] = imap_server.messages("Processed")
    assert moved["Message-ID"] == "<parcel-1@example.com>"


def test_deliver_takes_email_messages_and_folders_with_spaces(imap_server):
    imap_server.create_folder("Helpdesk Done")
    imap_server.deliver(mail("One"), "Helpdesk Done", flags=r"(\Seen)")
    imap_server.deliver("From: a@example.com\nSubject: Two\n\nbare newlines\n")
    assert imap_server.counts() == {"Helpdesk Done": 1, "INBOX": 1}
    assert [m["Subject"] for m in imap_server.messages("Helpdesk Done")] == ["One"]
    assert imap_server.messages()[0].get_content().strip() == "bare newlines"
    assert imap_server.count("No such folder") == 0


def test_plain_imap_with_password_login_works_on_loopback(imap_server):
    with imaplib.IMAP4(imap_server.host, imap_server.port) as imap:
        assert imap.login(imap_server.user, imap_server.password)[0] == "OK"
    with imaplib.IMAP4(imap_server.host, imap_server.port) as imap, \
            pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(imap_server.user, "wrong")
    assert imap_server.url() == (f"imaps://{imap_server.user}:{imap_server.password}"
                                 f"@127.0.0.1:{imap_server.ssl_port}/INBOX")
    assert imap_server.url("Processed", ssl=False).startswith("imap://")


def test_the_certificate_verifies_against_cafile_only(imap_server, monkeypatch):
    # Not trusted by the system's store: a client that verifies must be given the CA ...
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent")
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(imap_server.host, imap_server.ssl_port,
                          ssl_context=ssl.create_default_context())
    # ... either explicitly, or through SSL_CERT_FILE for code using the default context.
    monkeypatch.setenv("SSL_CERT_FILE", imap_server.cafile)
    for host in ("127.0.0.1", "localhost"):
        with imaplib.IMAP4_SSL(host, imap_server.ssl_port,
                               ssl_context=ssl.create_default_context()) as imap:
            assert imap.login(imap_server.user, imap_server.password)[0] == "OK"


def test_each_test_gets_its_own_user(dovecot_server, imap_server):
    other = dovecot_server.add_user()
    imap_server.deliver(RAW)
    assert other.user != imap_server.user
    assert other.count() == 0 and imap_server.count() == 1
