"""The worker as real processes: two `flask worker --once` at the same time never send a
mail twice (FOR UPDATE SKIP LOCKED on PostgreSQL, a write lock on SQLite), and `make
run`'s launcher starts the web server and the worker and stops both."""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import make_user
from mailservers import free_port
from mailtools import mail
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, Role
from helpdesk.models.deliveries import DeliveryState
from helpdesk.services.mail.outbox import queue_mail
from helpdesk.services.unit_of_work import unit_of_work

REPO = Path(__file__).resolve().parents[1]
MAILS = 150


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "helpdesk", *args]


def app_env(app, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPDESK_", "FLASK_"))}
    cfg = app.config
    env.update({
        "HELPDESK_DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
        "HELPDESK_SECRET_KEY": cfg["SECRET_KEY"],
        "HELPDESK_INSTANCE_PATH": str(tmp_path / "proc-instance"),
        "HELPDESK_UPLOAD_FOLDER": cfg["UPLOAD_FOLDER"],
        "HELPDESK_MAIL_HOST": cfg["MAIL_HOST"], "HELPDESK_MAIL_PORT": str(cfg["MAIL_PORT"]),
        "HELPDESK_MAIL_FROM": cfg["MAIL_FROM"], "HELPDESK_SUPPORT_ADDRESS":
            cfg["SUPPORT_ADDRESS"], "HELPDESK_BASE_URL": cfg["BASE_URL"],
        "HELPDESK_WORKER_IDLE_SECONDS": "0.2",
    })
    return env


def test_two_workers_at_once_send_every_mail_exactly_once(smtp, app, tmp_path):
    people = [make_user(Role.CUSTOMER) for _ in range(3)]
    with unit_of_work():
        for n in range(MAILS):
            queue_mail(kind="notice", to=people[n % 3], template="notice",
                       subject=f"Notice {n}", text=f"number {n}")
    env = app_env(app, tmp_path)
    workers = [subprocess.Popen(flask_command("worker", "--once"), cwd=REPO, env=env,  # noqa: S603
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    shares = [int(out.strip().rsplit("mail: ", 1)[1].split(",")[0]) for out in outputs]
    assert sum(shares) == MAILS  # every mail attempted once, by one of the two
    ids = [m["Message-ID"].strip() for m in smtp.wait_for(MAILS)]
    assert len(ids) == len(set(ids)) == MAILS
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.state == DeliveryState.SENT)) == MAILS


def test_the_launcher_runs_the_web_server_and_the_worker_and_ctrl_c_stops_both(
        smtp, app, tmp_path):
    env = app_env(app, tmp_path)
    port = free_port()
    launcher = subprocess.Popen([sys.executable, "-m", "helpdesk.launcher", "--port", str(port)],  # noqa: S603
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:  # noqa: S310
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the web server did not come up"
                time.sleep(0.2)  # waiting for a process to boot, not a test step
        piped = subprocess.run(flask_command("mail", "ingest"), cwd=REPO, env=env,  # noqa: S603
                               input=mail(sender="launch@example.org"), capture_output=True,
                               timeout=60, check=False)
        assert piped.returncode == 0, piped.stderr
        smtp.wait_for(1, timeout=30, to="launch@example.org")  # the worker sent the ack
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=20) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # noqa: S310
        raise AssertionError("the web server still answers")
    except OSError:
        pass
