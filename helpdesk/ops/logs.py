"""Logs: JSON lines on stderr (python-json-logger), configured once in create_app.

Every request gets an id — the caller's `X-Request-ID` when it is a sane token (a proxy
or load balancer may set one), else a new one — echoed in the response header, put on
every log record made while the request runs, and stored on rows it queues for the
worker (`Deliverable.request_id`), so the worker's lines for that mail or webhook carry
the same id. One line per request: method, path, endpoint, status, duration, user id.
Slow SQL statements are logged with their duration (SLOW_SQL_MS; on in development).
"""
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import event

from ..extensions import db
from ..models.deliveries import current_request_id

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is taken only when it cannot smuggle anything into a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{8,64}")
# Probes and scrapes arrive every few seconds: logged at DEBUG so they don't drown the rest.
QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})
SQL_TEXT_MAX = 2000

request_log = logging.getLogger("helpdesk.request")
sql_log = logging.getLogger("helpdesk.sql")


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (test runners swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class RequestIdFilter(logging.Filter):
    """Puts the id of the request (or delivery) at hand on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"})


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, replaced (not added again) by a second app."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "helpdesk", False)]:
        root.removeHandler(handler)
    handler = _CurrentStderrHandler()
    handler.helpdesk = True
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(start_request)
    app.after_request(log_request)
    threshold = slow_sql_threshold_ms(app)
    if threshold is not None:
        with app.app_context():
            watch_slow_sql(db.engine, threshold)


def request_id_from(header: str | None) -> str:
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def log_request(response):
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    # The user Flask-Login already loaded, if any: no query just for the log line. (Not
    # get_id(): that carries the session token.)
    user = g.get("_login_user")
    user_id = getattr(user, "id", None) if user is not None and user.is_authenticated \
        else None
    level = logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO
    request_log.log(level, "request", extra={
        "request_id": request_id, "method": request.method, "path": request.path,
        "endpoint": request.endpoint, "status": response.status_code,
        "duration_ms": duration_ms, "user_id": user_id,
        "remote_addr": request.remote_addr, "bytes": response.content_length})
    return response


def slow_sql_threshold_ms(app: Flask) -> float | None:
    configured = app.config.get("SLOW_SQL_MS")
    if configured is not None:
        return float(configured)
    return 200.0 if app.config["ENV"] != "production" else None


def watch_slow_sql(engine, threshold_ms: float) -> None:
    """Log statements slower than `threshold_ms`, with their duration (not parameters:
    those may hold personal data)."""

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info.setdefault("helpdesk_sql_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def finished(conn, _cursor, statement, _parameters, _context, _many):
        began = conn.info["helpdesk_sql_started"].pop()
        duration_ms = (time.perf_counter() - began) * 1000
        if duration_ms >= threshold_ms:
            sql_log.warning("slow sql", extra={
                "duration_ms": round(duration_ms, 1),
                "statement": " ".join(statement.split())[:SQL_TEXT_MAX]})

    @event.listens_for(engine, "handle_error")
    def failed(context):
        stack = context.connection.info.get("helpdesk_sql_started") \
            if context.connection is not None else None
        if stack:
            stack.pop()
