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


def run_all() -> dict[str, int]:
    """Run every task once; returns {name: items handled}."""
    return {name: task() for name, task in TASKS.items()}
