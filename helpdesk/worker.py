"""The background worker: delivers outbox mail and webhooks and runs timed work.

`flask --app helpdesk worker` loops until stopped (SIGTERM or Ctrl-C finish the current
task first); `--once` runs every task once and exits (cron, tests). Several workers may
run at once on PostgreSQL: deliveries are claimed with FOR UPDATE SKIP LOCKED.
"""
import logging
import signal
import time

import click
from flask import current_app

from .services.background import heartbeats
from .services.background.tasks import run_all

log = logging.getLogger(__name__)


def run(*, once: bool = False, idle_seconds: float | None = None) -> dict[str, int]:
    """Run the tasks (once, or until a stop signal); returns the last round's counts."""
    stopping = []
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
    idle = idle_seconds if idle_seconds is not None else current_app.config[
        "WORKER_IDLE_SECONDS"]
    heartbeat = Heartbeat()
    try:
        while True:
            counts = run_all(after_each=heartbeat.beat)
            heartbeat.beat()  # also when no task is registered
            if once or stopping:
                return counts
            if not any(counts.values()):
                _sleep(idle, stopping)
    finally:
        if not once and heartbeat.last is not None:
            heartbeats.stopped(heartbeat.worker_id)


class Heartbeat:
    """Says "alive" (for /readyz) after each task, at most every WORKER_HEARTBEAT_SECONDS:
    a worker busy with a long round still shows it makes progress."""

    def __init__(self):
        self.worker_id, self.last = heartbeats.this_worker(), None

    def beat(self) -> None:
        now = time.monotonic()
        if self.last is None or now - self.last >= current_app.config[
                "WORKER_HEARTBEAT_SECONDS"]:
            heartbeats.beat(self.worker_id)
            self.last = now


def _sleep(seconds: float, stopping: list) -> None:
    deadline = time.monotonic() + seconds
    while not stopping and time.monotonic() < deadline:
        time.sleep(min(0.2, seconds))


@click.command("worker")
@click.option("--once", is_flag=True, help="Do everything that is due, then exit.")
def worker_command(once: bool) -> None:
    """Send queued mail and webhooks, and run timed work."""
    counts = run(once=once)
    if once:
        click.echo(", ".join(f"{name}: {n}" for name, n in counts.items()) or "nothing to do")
