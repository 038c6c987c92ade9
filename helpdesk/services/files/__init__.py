"""Attachments: validating uploads, the storage they live in, and who may read them;
pending uploads (files of a failed form, kept for their owner for a while)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """The worker's housekeeping: expired pending uploads and their files go."""
    from ..background import tasks
    from .pending import expire_pending
    tasks.register("pending_uploads", expire_pending)
