"""Running Helpdesk in production: health probes, Prometheus metrics, JSON request logs
(this package's `init_app`), and backup/restore (backup.py, used by `flask backup`).
docs/deployment.md describes the setup around them."""
from flask import Flask


def init_app(app: Flask) -> None:
    from . import health, logs, metrics
    logs.init_app(app)      # first: the request id exists before anything else logs
    metrics.init_app(app)
    app.register_blueprint(health.bp)
