"""The worker against an SMTP server that refuses, times out, then accepts: every mail
must arrive exactly once.

    python bench/mail_worker.py [--mails 200] [--database-url URL]

Queues --mails notification mails, then points the worker at an aiosmtpd server
(tests/mailservers.py) that answers the first 30 messages with 451 (try later), lets the
next 5 hang past the client's timeout (MAIL_TIMEOUT=1 s; the server keeps no copy),
refuses 10 more at RCPT with 421, and accepts everything after that. The worker runs
rounds (`send_due_mail`, as `flask worker` does) with a 1 s backoff until nothing is
queued. Prints attempts, rounds, time and what arrived; exit 1 if a mail is missing or
arrived twice.
"""
import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from mailservers import SmtpServer  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import OutboxMail, Role, User  # noqa: E402
from helpdesk.models.deliveries import DeliveryState  # noqa: E402
from helpdesk.services.mail.outbox import queue_mail  # noqa: E402
from helpdesk.services.mail.sending import send_due_mail  # noqa: E402
from helpdesk.services.unit_of_work import unit_of_work  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ["HELPDESK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-worker-")
    url = args.database_url or f"sqlite:///{os.environ['HELPDESK_INSTANCE_PATH']}/w.db"
    with SmtpServer() as smtp:
        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
            "MAIL_HOST": smtp.host, "MAIL_PORT": smtp.port, "MAIL_TIMEOUT": 1,
            "MAIL_FROM": "Helpdesk <support@bench.example>",
            "DELIVERY_BACKOFF_SECONDS": 1, "DELIVERY_BACKOFF_MAX_SECONDS": 2,
            "DELIVERY_MAX_ATTEMPTS": 20})
        with app.app_context():
            db.drop_all()
            db.create_all()
            no_login = "!"  # not a hash: these accounts never sign in
            people = [User(email=f"person{i}@bench.example", name=f"Person {i}",
                           password_hash=no_login, role=Role.CUSTOMER) for i in range(20)]
            db.session.add_all(people)
            db.session.commit()
            with unit_of_work():
                for n in range(args.mails):
                    queue_mail(kind="notice", to=people[n % 20], template="notice",
                               subject=f"Notice {n}", text=f"Notice number {n}")
            smtp.refuse(30, 451)
            smtp.stall(5, seconds=2)
            smtp.refuse(10, 421, at="rcpt")
            started, rounds, attempts = time.perf_counter(), 0, 0
            while True:
                rounds += 1
                attempts += send_due_mail()
                db.session.close()
                queued = db.session.scalar(select(func.count(OutboxMail.id)).where(
                    OutboxMail.state == DeliveryState.QUEUED))
                if not queued or time.perf_counter() - started > 300:
                    break
                time.sleep(0.5)  # the worker's idle pause between rounds
            elapsed = time.perf_counter() - started
            states = Counter(db.session.scalars(select(OutboxMail.state)))
            ids = [m["Message-ID"].strip() for m in smtp.messages]
            expected = set(db.session.scalars(select(OutboxMail.message_id)))
    twice = [mid for mid, count in Counter(ids).items() if count > 1]
    missing = expected - set(ids)
    kinds = Counter(r.kind + " " + r.reply.split()[0] for r in smtp.rejections)
    print(f"{args.mails} mails, {attempts} attempts ({rounds} worker round(s)), "
          f"{elapsed:.1f} s")
    print("server misbehaved: " + ", ".join(f"{k} ×{v}" for k, v in sorted(kinds.items())))
    print(f"arrived: {len(ids)} ({len(set(ids))} distinct), missing {len(missing)}, "
          f"twice {len(twice)}; outbox: {dict(states)}")
    if missing or twice or len(ids) != args.mails:
        print("FAILED", file=sys.stderr)
        return 1
    print("every mail arrived exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
