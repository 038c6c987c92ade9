"""Probes for load balancers and orchestrators, and the Prometheus scrape.

- /healthz: the process is up and answers (no dependency is touched), for liveness.
- /readyz: it can serve: database, Redis (when one is configured), file storage, and a
  background worker that said it was alive recently (when a worker is expected). 200 or
  503 with a JSON body naming each check: "ok", "failed" or "skipped". The reasons of a
  failure go to the log, not to the caller.
- /metrics: see metrics.py; only with the configured token or from listed addresses.
"""
import logging
import os

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import csrf, db, limiter
from ..services.background import heartbeats
from ..services.files import attachments
from . import metrics

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)
csrf.exempt(bp)
limiter.exempt(bp)

# A well-formed key that is never generated for a real file ("00" + 32 zeros would be a
# valid random key only with probability 2^-128): asking whether it exists exercises the
# storage backend without reading or writing anything.
PROBE_KEY = "00/" + "0" * 32


@bp.get("/healthz")
def healthz():
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    checks = {
        "database": _check(database_ready),
        "redis": _check(redis_ready) if redis_url() else "skipped",
        "storage": _check(storage_ready),
        "worker": _check(worker_ready) if worker_expected() else "skipped",
    }
    ready = all(state != "failed" for state in checks.values())
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)


@bp.get("/metrics", endpoint="metrics")
def metrics_view():
    metrics.check_access()
    body, content_type = metrics.render()
    return _no_store(current_app.response_class(body, content_type=content_type))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(probe) -> str:
    try:
        ok = probe()
    except Exception:  # noqa: BLE001 — any failure of a dependency means "not ready"
        log.warning("readiness check %s failed", probe.__name__, exc_info=True)
        db.session.rollback()
        return "failed"
    if not ok:
        log.warning("readiness check %s failed", probe.__name__)
    return "ok" if ok else "failed"


def database_ready() -> bool:
    return db.session.execute(text("SELECT 1")).scalar() == 1


def redis_url() -> str | None:
    configured = current_app.config.get("REDIS_URL")
    if configured:
        return configured
    limits = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    return limits if limits.startswith(("redis://", "rediss://")) else None


def redis_ready() -> bool:
    client = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


def storage_ready() -> bool:
    """The backend answers; local storage must also be a writable folder."""
    storage = attachments.storage()
    root = getattr(storage, "root", None)
    if root is not None and not (os.path.isdir(root) and os.access(root, os.W_OK)):
        return False
    storage.exists(PROBE_KEY)
    return True


def worker_expected() -> bool:
    expected = current_app.config.get("WORKER_EXPECTED")
    if expected is None:
        return current_app.config["ENV"] == "production"
    return bool(expected)


def worker_ready() -> bool:
    age = heartbeats.seconds_since_newest()
    return age is not None and age <= current_app.config["WORKER_HEARTBEAT_MAX_AGE"]
