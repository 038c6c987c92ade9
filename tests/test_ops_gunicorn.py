"""deploy/gunicorn.conf.py runs the app: several workers, one JSON log line per request
and no access log (gunicorn's own lines are JSON too), and /metrics adding up every
worker's numbers (multiprocess mode)."""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpdesk import create_app
from helpdesk.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "gunicorn-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, **headers) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


@pytest.fixture
def gunicorn(tmp_path, monkeypatch):
    database = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "x"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "HELPDESK_DATABASE_URL": database, "HELPDESK_SECRET_KEY": "x",
           "HELPDESK_METRICS_TOKEN": TOKEN, "HELPDESK_INSTANCE_PATH": str(tmp_path / "i"),
           "HELPDESK_BIND": f"127.0.0.1:{port}", "HELPDESK_WEB_WORKERS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
                time.sleep(0.3)
        yield base, tmp_path / "gunicorn.log", tmp_path / "metrics"
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def test_metrics_add_up_every_workers_requests_and_each_request_logs_one_line(gunicorn):
    base, log_path, metrics_dir = gunicorn
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: _get(f"{base}/faq")[0], range(20)))
    assert statuses == [200] * 20

    status, body = _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    count = re.search(r'^helpdesk_http_request_duration_seconds_count\{endpoint="public.faq",'
                      r'method="GET",status="200"\} ([0-9.]+)$', body.decode(), re.M)
    assert count and float(count[1]) == 20.0
    assert list(metrics_dir.glob("histogram_*.db"))  # the processes' shared files

    # Every line, gunicorn's own included, is one JSON object.
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"]
               for line in lines)
    faq = [line for line in lines if line.get("path") == "/faq"]
    assert len(faq) == 20
    assert len({line["request_id"] for line in faq}) == 20
    assert not [line for line in lines if line["logger"] == "gunicorn.access"]
