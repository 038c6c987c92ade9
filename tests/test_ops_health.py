"""/healthz, /readyz and /metrics: what a load balancer and Prometheus see."""
import os
import re
import signal
from datetime import timedelta

import pytest
from conftest import login, make_ticket

from helpdesk.extensions import db
from helpdesk.models import Status, WorkerHeartbeat, utcnow
from helpdesk.services.background import heartbeats, tasks
from helpdesk.worker import run

TOKEN = "metrics-token-for-tests"


def test_healthz_answers_without_touching_anything(client, app):
    app.config["DATABASE_URL"] = "never used"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_database_and_storage_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {
        "database": "ok", "redis": "skipped", "storage": "ok", "worker": "skipped"}}


def test_readyz_fails_when_the_upload_folder_is_not_writable(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["UPLOAD_FOLDER"] = str(blocker / "uploads")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["storage"] == "failed"
    assert response.json["checks"]["database"] == "ok"


def test_readyz_checks_redis_when_one_is_configured(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    assert client.get("/readyz").json["checks"]["redis"] == "ok"
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == "failed"


def test_readyz_takes_redis_from_the_rate_limit_storage(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    assert client.get("/readyz").json["checks"]["redis"] == "failed"


def test_worker_expected_but_never_seen_is_not_ready(app, client):
    app.config["WORKER_EXPECTED"] = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["worker"] == "failed"


def test_a_worker_round_makes_it_ready_and_a_stale_heartbeat_does_not(app, client):
    app.config["WORKER_EXPECTED"] = True
    run(once=True)
    assert client.get("/readyz").status_code == 200

    max_age = app.config["WORKER_HEARTBEAT_MAX_AGE"]
    heartbeats.beat(heartbeats.this_worker(), now=utcnow() - timedelta(seconds=max_age + 5))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["worker"] == "failed"


def test_production_expects_a_worker_by_default(app, client):
    app.config["ENV"] = "production"
    assert client.get("/readyz").json["checks"]["worker"] == "failed"
    app.config["WORKER_EXPECTED"] = False
    assert client.get("/readyz").json["checks"]["worker"] == "skipped"


def test_heartbeats_keep_one_row_per_worker_and_forget_old_ones(app):
    heartbeats.beat("old-host:1", now=utcnow() - timedelta(days=2))
    heartbeats.beat("host:2")
    heartbeats.beat("host:2")
    rows = db.session.query(WorkerHeartbeat).all()
    assert [(row.worker_id, row.rounds) for row in rows] == [("host:2", 2)]
    heartbeats.stopped("host:2")
    assert heartbeats.newest_beat() is None


# --- /metrics ----------------------------------------------------------------------------

@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return TOKEN


def scrape(client, token=TOKEN, **kwargs):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_metrics_are_off_until_a_token_or_addresses_are_configured(client):
    assert client.get("/metrics").status_code == 404
    assert scrape(client).status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_token):
    assert client.get("/metrics").status_code == 403
    assert scrape(client, token="wrong").status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code \
        == 403
    assert scrape(client).status_code == 200


def test_metrics_answer_listed_addresses_only(app, client):
    app.config["METRICS_ALLOWED_IPS"] = "10.1.0.0/16, 192.0.2.7"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 403
    app.config["METRICS_ALLOWED_IPS"] = ["::1"]
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_report_request_latency_by_endpoint_and_status(client, metrics_token):
    client.get("/faq")
    client.get("/no-such-page")
    body = scrape(client).get_data(as_text=True)
    assert ('helpdesk_http_request_duration_seconds_count{endpoint="public.faq",'
            'method="GET",status="200"}') in body
    assert ('helpdesk_http_request_duration_seconds_bucket{endpoint="none",le="0.005",'
            'method="GET",status="404"}') in body


def test_metrics_count_tickets_by_status(app, client, customer, agent, metrics_token):
    app.config["METRICS_TICKET_COUNTS_TTL"] = 0
    make_ticket(customer)
    make_ticket(customer)
    body = scrape(client).get_data(as_text=True)
    assert f'helpdesk_tickets{{status="{Status.NEW}"}} 2.0' in body


def test_ticket_counts_are_cached_for_the_configured_time(app, client, customer,
                                                          metrics_token):
    app.config["METRICS_TICKET_COUNTS_TTL"] = 3600
    make_ticket(customer)
    scrape(client)
    make_ticket(customer)
    body = scrape(client).get_data(as_text=True)
    assert f'helpdesk_tickets{{status="{Status.NEW}"}} 1.0' in body


def test_metrics_report_the_worker_heartbeat(app, client, metrics_token):
    sample = re.compile(r"^helpdesk_worker_heartbeat_age_seconds ([0-9.e+-]+)$", re.M)
    assert not sample.search(scrape(client).get_data(as_text=True))
    run(once=True)
    age = float(sample.search(scrape(client).get_data(as_text=True))[1])
    assert 0 <= age < app.config["WORKER_HEARTBEAT_MAX_AGE"]


def test_probes_answer_a_signed_in_person_too(client, customer):
    login(client, customer)
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_long_round_beats_between_its_tasks(app, monkeypatch):
    app.config["WORKER_HEARTBEAT_SECONDS"] = 0  # every chance to beat is taken
    rounds_seen = []

    def look():
        row = db.session.get(WorkerHeartbeat, heartbeats.this_worker(),
                             populate_existing=True)
        rounds_seen.append(row.rounds if row else 0)
        return 0

    monkeypatch.setattr(tasks, "TASKS", {"first": look, "second": look})
    run(once=True)
    assert rounds_seen == [0, 1]  # the first task's end was recorded before the second


def test_a_worker_that_stops_cleanly_removes_its_heartbeat(app, monkeypatch):
    seen_alive = []

    def ask_to_stop():
        seen_alive.append(heartbeats.newest_beat() is not None)
        os.kill(os.getpid(), signal.SIGTERM)  # caught by the handler run() installs
        return 0

    monkeypatch.setattr(tasks, "TASKS", {"stop": ask_to_stop})
    app.config["WORKER_HEARTBEAT_SECONDS"] = 0
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run(idle_seconds=0)  # one round, then the stop request ends the loop
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert seen_alive == [False]
    assert heartbeats.newest_beat() is None


def test_metrics_report_queue_depth_age_and_lag(app, client, admin, customer, metrics_token):
    from sqlalchemy import update

    from helpdesk.models import WebhookDelivery
    from helpdesk.services.unit_of_work import unit_of_work
    from helpdesk.services.webhooks import hooks
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = True
    hooks.create_webhook(admin, url="http://127.0.0.1:9/nobody-listens",
                         events=["ticket.created"])
    make_ticket(customer)
    make_ticket(customer)
    with unit_of_work():  # one has waited ten minutes for a worker, one gave up
        first, second = db.session.scalars(db.select(WebhookDelivery)
                                           .order_by(WebhookDelivery.id)).all()
        first.created_at = first.next_attempt_at = utcnow() - timedelta(minutes=10)
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == second.id)
                           .values(state="failed"))
    body = scrape(client).get_data(as_text=True)

    def sample(name, **labels):
        wanted = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} "
        (line,) = [line for line in body.splitlines() if line.startswith(wanted)]
        return float(line.removeprefix(wanted))

    assert sample("helpdesk_queue_depth", queue="webhook_deliveries", state="queued") == 1
    assert sample("helpdesk_queue_depth", queue="webhook_deliveries", state="failed") == 1
    assert 590 < sample("helpdesk_queue_oldest_seconds", queue="webhook_deliveries") < 3600
    assert 590 < sample("helpdesk_queue_lag_seconds", queue="webhook_deliveries") < 3600


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_readyz_asks_object_storage(app, client, storage_backend):
    assert client.get("/readyz").json["checks"]["storage"] == "ok"


def test_readyz_fails_when_object_storage_does_not_answer(app, client):
    from conftest import s3_config
    app.config.update(s3_config("http://127.0.0.1:9", "no-such-bucket"))  # nobody listens
    app.extensions.pop("helpdesk_storage", None)  # the backend is made once per app
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["storage"] == "failed"
