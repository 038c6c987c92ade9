"""Prometheus metrics (prometheus-client) at /metrics.

Request latency is a histogram by endpoint, method and status, observed after each
request. With several gunicorn workers each process keeps its own numbers; set
PROMETHEUS_MULTIPROC_DIR (an empty folder, before the app is imported — see
deploy/gunicorn.conf.py) and the scrape adds up every process's files.

The figures read from the database — tickets by status, queue depth and age, worker lag —
are computed when scraped (a custom collector), so they are the same whichever process
answers. Ticket counts are one GROUP BY (`stats.count_by`), cached a little per process.
"""
import hmac
import ipaddress
import os
import time

from flask import Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from ..models import Ticket
from ..services.background import heartbeats, monitoring
from ..services.reporting import stats

REQUEST_SECONDS = Histogram(
    "helpdesk_http_request_duration_seconds", "Time to answer a request.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def init_app(app: Flask) -> None:
    app.after_request(observe_request)


def observe_request(response):
    started = g.get("request_started")
    if started is not None:
        REQUEST_SECONDS.labels(endpoint=request.endpoint or "none", method=request.method,
                               status=str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


# --- who may scrape ----------------------------------------------------------------------

def check_access() -> None:
    """404 when metrics are not configured; 403 unless the bearer token matches or the
    caller's address is listed."""
    token = current_app.config.get("METRICS_TOKEN")
    networks = allowed_networks(current_app.config.get("METRICS_ALLOWED_IPS"))
    if not token and not networks:
        abort(404)
    if token and bearer_matches(request.headers.get("Authorization", ""), str(token)):
        return
    if request.remote_addr and networks:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            abort(403)
        if any(address in network for network in networks):
            return
    abort(403)


def bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


def allowed_networks(setting) -> list:
    """["10.0.0.0/8", "127.0.0.1"] or "10.0.0.0/8, 127.0.0.1" (from the environment)."""
    if isinstance(setting, str):
        setting = [part for part in setting.replace(",", " ").split()]
    return [ipaddress.ip_network(item, strict=False) for item in setting or ()]


# --- the scrape --------------------------------------------------------------------------

def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
        ProcessCollector(registry=registry)
    registry.register(DatabaseCollector(current_app.config["METRICS_TICKET_COUNTS_TTL"]))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def ticket_counts(ttl: float) -> dict:
    """{status: tickets}, at most `ttl` seconds old (kept per app, so per process)."""
    cache = current_app.extensions.setdefault("helpdesk_metrics", {})
    cached = cache.get("ticket_counts")
    if cached is None or time.monotonic() - cached[0] > ttl:
        cached = cache["ticket_counts"] = (time.monotonic(), stats.count_by(Ticket.status))
    return cached[1]


class DatabaseCollector:
    """Figures read from the database at scrape time."""

    def __init__(self, ticket_ttl: float):
        self.ticket_ttl = ticket_ttl

    def collect(self):
        tickets = GaugeMetricFamily("helpdesk_tickets", "Tickets by status.",
                                    labels=["status"])
        for status, count in sorted(ticket_counts(self.ticket_ttl).items()):
            tickets.add_metric([str(status)], count)
        yield tickets

        depth = GaugeMetricFamily("helpdesk_queue_depth",
                                  "Background deliveries waiting (queued) or given up (failed).",
                                  labels=["queue", "state"])
        oldest = GaugeMetricFamily("helpdesk_queue_oldest_seconds",
                                   "Age of the oldest queued delivery.", labels=["queue"])
        lag = GaugeMetricFamily("helpdesk_queue_lag_seconds",
                                "How long the most overdue due delivery has waited for a "
                                "worker.", labels=["queue"])
        for figures in monitoring.queue_figures():
            depth.add_metric([figures.table, "queued"], figures.queued)
            depth.add_metric([figures.table, "failed"], figures.failed)
            oldest.add_metric([figures.table], figures.oldest_queued_seconds)
            lag.add_metric([figures.table], figures.lag_seconds)
        yield from (depth, oldest, lag)

        age = heartbeats.seconds_since_newest()
        heartbeat = GaugeMetricFamily(
            "helpdesk_worker_heartbeat_age_seconds",
            "Seconds since a background worker last said it was alive (absent: none ever).")
        if age is not None:
            heartbeat.add_metric([], age)
        yield heartbeat
