"""The periodic tasks the worker runs, registered by the modules that own them.

A task is a function taking no arguments and returning how many items it handled
(so `worker --once` can report, and an idle loop can sleep). Register at import time of
the owning module's `init_app`, e.g. `register("mail", send_due_mail)`.
"""
from collections.abc import Callable

Task = Callable[[], int]
TASKS: dict[str, Task] = {}


def register(name: str, task: Task) -> None:
    TASKS[name] = task


def run_all(after_each: Callable[[], None] | None = None) -> dict[str, int]:
    """Run every task once, calling `after_each()` after each (the worker's heartbeat);
    returns {name: items handled}."""
    counts = {}
    for name, task in TASKS.items():
        counts[name] = task()
        if after_each is not None:
            after_each()
    return counts
