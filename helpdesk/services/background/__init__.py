"""Work the background worker does: delivering queued rows with retries, and the
registry of periodic tasks (`helpdesk/worker.py` runs them)."""
