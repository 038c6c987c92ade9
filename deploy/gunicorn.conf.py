"""Gunicorn settings for Helpdesk: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (HELPDESK_BIND, HELPDESK_WEB_WORKERS, ...)
so one file serves every host; docs/deployment.md explains the choices.
"""
import glob
import os
import tempfile

# Behind nginx on the same host: listen on loopback only (or a unix socket:
# HELPDESK_BIND=unix:/run/helpdesk/web.sock).
bind = os.environ.get("HELPDESK_BIND", "127.0.0.1:8000")

# Sync workers: nginx buffers slow clients and uploads, so a worker is busy only while the
# app works. 2-4 per core is the usual range; each holds its own database pool.
workers = int(os.environ.get("HELPDESK_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "sync"
timeout = int(os.environ.get("HELPDESK_WEB_TIMEOUT", "60"))  # a stuck request is killed
graceful_timeout = 30      # SIGTERM/HUP: finish what is running first
keepalive = 5              # nginx keeps upstream connections open
max_requests = 5000        # recycle workers now and then (memory); jitter spreads restarts
max_requests_jitter = 500

# The app writes one JSON line per request (helpdesk/ops/logs.py) with a request id,
# user and duration: gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HELPDESK_GUNICORN_LOG_LEVEL", "info")
# gunicorn's own lines (start, stop, worker timeouts) as JSON too, like the app's: one
# format in the journal. The app adds its handler to the root logger itself.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False,
                           "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False,
                            "qualname": "gunicorn.access"},
    },
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stderr"}},
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "{levelname}{name}{message}", "style": "{",
                            "timestamp": "time",
                            "rename_fields": {"levelname": "level", "name": "logger"}}},
}

# Forwarded headers are handled by the app (HELPDESK_TRUSTED_PROXIES -> ProxyFix).
forwarded_allow_ips = os.environ.get("HELPDESK_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus: with several workers each process writes its metrics to files in this
# folder and /metrics adds them up (prometheus-client's multiprocess mode). It must be
# set before the app is imported, and emptied when the server starts.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(tempfile.gettempdir(), f"helpdesk-metrics-{os.getpid()}"))


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):  # a previous run's numbers
        os.remove(stale)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
