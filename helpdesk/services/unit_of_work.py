"""The one place a transaction begins and commits.

Every service function that writes wraps its change in `unit_of_work()`. The outermost
unit commits when its block ends; on any exception it rolls back and undoes what cannot
roll back by itself (files already written to storage). Units nest: an inner unit joins
the outer one's transaction, so a caller can make several service calls one transaction
(all or nothing) just by opening a unit around them.

An exception that leaves an inner unit dooms the whole transaction, even if the caller
catches it: committing half of a refused operation is never right. A caller that wants
"one unit per item, refusals reported" (bulk actions) opens a separate outermost unit
per item instead of one around the loop.

Work that must wait for the commit (deleting files of a deleted ticket) is registered
with `after_commit`; cleanup for a rollback with `on_rollback`.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..extensions import db

_DEPTH = "helpdesk_uow_depth"
_DOOMED = "helpdesk_uow_doomed"
_AFTER_COMMIT = "helpdesk_uow_after_commit"
_ON_ROLLBACK = "helpdesk_uow_on_rollback"


class TransactionDoomed(RuntimeError):
    """An inner unit failed and its exception was caught inside the outer unit."""


@contextmanager
def unit_of_work(*, keep_loaded: bool = False) -> Iterator[None]:
    """Commit at the end of the outermost unit; roll back everything on any failure.
    `keep_loaded`: the objects loaded before stay loaded after the commit (not expired),
    for a small bookkeeping write in the middle of a page that goes on reading them
    (the change must then be set on the objects too, or be invisible to the page)."""
    info = db.session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            if info.pop(_DOOMED, False):
                raise TransactionDoomed("a nested unit of work failed; nothing was saved")
            _commit(keep_loaded)
    except BaseException:
        if depth == 0:
            _rollback()
        else:
            info[_DOOMED] = True
        raise
    finally:
        info[_DEPTH] = depth
    if depth == 0:
        info.pop(_ON_ROLLBACK, None)
        for callback in info.pop(_AFTER_COMMIT, []):
            callback()


def _commit(keep_loaded: bool) -> None:
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = expire and not keep_loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def in_unit_of_work() -> bool:
    return db.session.info.get(_DEPTH, 0) > 0


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the outermost unit has committed (never after a rollback)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(callback: Callable[[], None]) -> None:
    """Run `callback` if the outermost unit rolls back (e.g. delete a file just written)."""
    db.session.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _rollback() -> None:
    info = db.session.info
    info.pop(_DOOMED, None)
    info.pop(_AFTER_COMMIT, None)
    db.session.rollback()
    for callback in reversed(info.pop(_ON_ROLLBACK, [])):
        callback()
