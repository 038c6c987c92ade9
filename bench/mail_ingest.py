"""Ingest 1,000 varied messages through the one ingest service and check every outcome.

    python bench/mail_ingest.py                                  # a fresh SQLite file
    python bench/mail_ingest.py --database-url postgresql://postgres@127.0.0.1/bench

The mix: plain, HTML-only and multipart-with-files new mail (from new and known
senders), replies by token, by References and by subject, replies from a stranger,
auto-replies, bounces and duplicates. Each message has an expected outcome and ticket;
the run fails (exit 1) if any message is lost or lands elsewhere. Prints messages per
second and the counts per outcome. Mail is queued (acknowledgements) but not sent.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import InboundMail, OutboxMail, Role, Ticket, User  # noqa: E402
from helpdesk.services.catalog.defaults import install_defaults  # noqa: E402
from helpdesk.services.mail import tokens  # noqa: E402
from helpdesk.services.mail.ingest import ingest_message  # noqa: E402

SUPPORT = "support@bench.example"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
       b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
       b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUOTE = "\n\nOn Tue, 1 Dec 2026 at 10:00, Helpdesk <support@bench.example> wrote:\n> earlier\n"


def message(n: int, sender: str, *, to: str = SUPPORT, subject: str = "", text: str | None,
            html: str | None = None, files=(), headers=None, message_id: str | None = None):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject or f"Question number {n}"
    msg["Message-ID"] = message_id or f"<bench-{n}@client.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html, subtype="html")
    for name, data, mime in files:
        main, sub = mime.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def bounce(n: int, address: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.net\r\nTo: {SUPPORT}\r\n"
            f"Subject: Undelivered Mail\r\nMessage-ID: <bounce-{n}@mx.example.net>\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;'
            ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n'
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n--B--\r\n").encode()


def build(url: str):
    os.environ["HELPDESK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-mail-")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "MAIL_HOST": "127.0.0.1", "MAIL_PORT": 1, "SUPPORT_ADDRESS": SUPPORT,
                      "MAIL_FROM": f"Helpdesk <{SUPPORT}>",
                      "BASE_URL": "https://help.bench.example",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    return app


def ingest_all(raws: list[bytes]) -> list:
    """One message at a time, each in a fresh session, as `mail ingest` (a process per
    message) and `mail fetch` (a session closed after each message) do."""
    results = []
    for raw in raws:
        results.append(ingest_message(raw))
        db.session.close()
    return results


def run(app) -> int:  # noqa: C901 (one scripted scenario, read top to bottom)
    rng = random.Random(42)
    with app.app_context():
        db.drop_all()
        db.create_all()
        install_defaults()
        no_login = "!"  # not a hash: these accounts never sign in
        known = [User(email=f"known{i}@customers.example", name=f"Known {i}",
                      password_hash=no_login, role=Role.CUSTOMER) for i in range(50)]
        db.session.add_all(known)
        db.session.commit()
        known = [user.email for user in known]

        plan: list[tuple[str, bytes, object]] = []  # (kind, raw, expected ticket key)
        n = 0

        def add(kind, raw, expect):
            plan.append((kind, raw, expect))

        originals = []  # (key, sender)
        for kind, count in (("plain", 200), ("html", 100), ("files", 100)):
            for _ in range(count):
                n += 1
                sender = (f"new{n}@people.example" if n % 2 else known[n % 50])
                if kind == "plain":
                    raw = message(n, sender, text=f"My order {n} is late.\n\n-- \nSignature")
                elif kind == "html":
                    raw = message(n, sender, text=None,
                                  html=f"<p>Order <b>{n}</b> broken</p><script>x()</script>")
                else:
                    raw = message(n, sender, text=f"Photo of order {n}",
                                  files=(("photo.png", PNG, "image/png"),
                                         ("invoice.pdf", PDF, "application/pdf")))
                add(kind, raw, ("new", n))
                originals.append((n, sender))
        first_pass = list(plan)
        plan.clear()
        started = time.perf_counter()
        results = ingest_all([raw for _, raw, _ in first_pass])
        ticket_of = {}
        for (_kind, _raw, (_, key)), result in zip(first_pass, results, strict=True):
            ticket_of[key] = result.ticket_number
        elapsed_first = time.perf_counter() - started

        numbers = list(ticket_of.values())
        tickets = {t.number: t for t in db.session.scalars(
            select(Ticket).where(Ticket.number.in_(numbers)))}
        acks = dict(db.session.execute(select(OutboxMail.ticket_id, OutboxMail.message_id)
                                       .where(OutboxMail.kind == "acknowledgement")).all())

        for kind, count in (("token", 150), ("references", 150), ("subject", 100),
                            ("stranger", 50)):
            for _ in range(count):
                n += 1
                key, sender = rng.choice(originals)
                ticket = tickets[ticket_of[key]]
                if kind == "token":
                    raw = message(n, sender, to=tokens.reply_address(ticket),
                                  subject="Re: your ticket", text="Thanks, by token" + QUOTE)
                elif kind == "references":
                    # ours (the acknowledgement) or theirs (the first mail): both thread;
                    # a sender with many new tickets got no more acknowledgements after
                    # five an hour (the loop guard)
                    ours = acks.get(ticket.id) if n % 2 else None
                    ours = ours or f"<bench-{key}@client.example>"
                    raw = message(n, sender, subject="Re: hello", text="By references" + QUOTE,
                                  headers={"In-Reply-To": ours, "References": ours})
                elif kind == "subject":
                    raw = message(n, sender, subject=f"Re: [{ticket.number}] more",
                                  text="By subject" + QUOTE)
                else:
                    raw = message(n, f"stranger{n}@elsewhere.example",
                                  to=tokens.reply_address(ticket), text="Not the requester")
                add(kind, raw, ticket.number)
        for i in range(50):
            n += 1
            headers = [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"},
                       {"X-Autoreply": "yes"}, {"List-Id": "<list.example>"}][i % 4]
            add("auto", message(n, f"robot{i}@auto.example", text="Out of office",
                                headers=headers), None)
        for i in range(50):
            n += 1
            add("bounce", bounce(n, known[i % 50]), None)
        for i in range(50):
            add("duplicate", first_pass[i * 7][1], "duplicate")
        rng.shuffle(plan)

        started = time.perf_counter()
        results = ingest_all([raw for _, raw, _ in plan])
        elapsed = elapsed_first + time.perf_counter() - started

        expected_outcome = {"token": "added", "references": "added", "subject": "added",
                            "stranger": "note", "auto": "ignored", "bounce": "ignored",
                            "duplicate": "duplicate"}
        wrong = []
        for (kind, _raw, expect), result in zip(plan, results, strict=True):
            ok = result.outcome == expected_outcome[kind]
            if kind in ("token", "references", "subject", "stranger"):
                ok = ok and result.ticket_number == expect and result.rule == (
                    "token" if kind == "stranger" else kind)
            if not ok:
                wrong.append((kind, result.summary))
        created = sum(1 for v in ticket_of.values() if v)
        counts = Counter(r.outcome for r in results)
        counts["created"] += created
        total = len(first_pass) + len(plan)
        stored = db.session.scalar(select(func.count(InboundMail.id)))
        failing = db.session.scalar(select(func.count(User.id)).where(
            User.email_failing_since.is_not(None)))

        print(f"{total} messages in {elapsed:.1f} s: {total / elapsed:.0f} messages/s "
              f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print("by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(
            Counter(kind for kind, _, _ in [*first_pass, *plan]).items())))
        print(f"stored in the incoming log: {stored} (= {total} - 50 duplicates), "
              f"addresses marked failing: {failing}")
        lost = total - 50 - stored
        if created != len(first_pass) or wrong or lost:
            print(f"FAILED: {len(first_pass) - created} new mails without a ticket, "
                  f"{len(wrong)} misfiled, {lost} lost", file=sys.stderr)
            for kind, summary in wrong[:20]:
                print(f"  {kind}: {summary}", file=sys.stderr)
            return 1
        print("none lost, none misfiled")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/mail.db"
    return run(build(url))


if __name__ == "__main__":
    sys.exit(main())
