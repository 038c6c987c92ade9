"""Structured logs: one JSON line per request with its request id, the same id in the
worker's lines for what the request queued, slow SQL with its duration."""
import json
import logging
from types import SimpleNamespace

import pytest
from conftest import login
from flask import g
from sqlalchemy import text

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models.deliveries import current_request_id
from helpdesk.services.background.deliveries import DeliveryFailed, send_logged


def log_lines(capsys) -> list[dict]:
    """The JSON lines written to stderr so far (each must parse)."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


def request_lines(capsys) -> list[dict]:
    return [line for line in log_lines(capsys) if line["logger"] == "helpdesk.request"]


def test_one_json_line_per_request_with_a_new_request_id(client, capsys):
    capsys.readouterr()
    response = client.get("/faq?q=refund")
    (line,) = request_lines(capsys)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line | {"time": None, "duration_ms": None, "request_id": None, "bytes": None} == {
        "level": "INFO", "logger": "helpdesk.request", "message": "request",
        "method": "GET", "path": "/faq", "endpoint": "public.faq", "status": 200,
        "user_id": None, "remote_addr": "127.0.0.1", "time": None, "duration_ms": None,
        "request_id": None, "bytes": None}
    assert line["duration_ms"] >= 0
    assert line["time"].startswith("20")


def test_the_callers_request_id_is_kept_and_echoed(client, capsys):
    capsys.readouterr()
    response = client.get("/faq", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert request_lines(capsys)[0]["request_id"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("unsafe", ["short", "x" * 65, 'abc12345"}{"level":"ERROR"}',
                                    "has spaces in it"])
def test_an_unsafe_request_id_is_replaced(client, capsys, unsafe):
    capsys.readouterr()
    response = client.get("/faq", headers={"X-Request-ID": unsafe})
    assert response.headers["X-Request-ID"] != unsafe
    assert request_lines(capsys)[0]["request_id"] == response.headers["X-Request-ID"]


def test_the_line_names_the_signed_in_user_and_the_status(client, customer, capsys):
    login(client, customer)
    capsys.readouterr()
    client.get("/portal/tickets/999999")
    (line,) = request_lines(capsys)
    assert line["user_id"] == customer.id
    assert line["status"] == 404


def test_probes_are_logged_below_info(client, capsys):
    capsys.readouterr()
    client.get("/healthz")
    assert request_lines(capsys) == []


def test_other_records_made_during_a_request_carry_its_id(app, client, capsys):
    @app.get("/test-logs")
    def write_a_line():
        logging.getLogger("helpdesk.test").warning("something to say")
        return "ok"

    capsys.readouterr()
    response = client.get("/test-logs", headers={"X-Request-ID": "req-0000-test"})
    (line,) = [line for line in log_lines(capsys) if line["logger"] == "helpdesk.test"]
    assert line["request_id"] == "req-0000-test" == response.headers["X-Request-ID"]
    assert line["message"] == "something to say"
    assert line["level"] == "WARNING"


def test_the_worker_logs_a_delivery_under_the_id_of_the_request_that_queued_it(app, capsys):
    seen = []
    row = SimpleNamespace(__tablename__="outbox", id=7, attempts=0, request_id="req-abc-123")

    def send(delivery):
        seen.append(current_request_id())  # what a row queued now would be stamped with
        logging.getLogger("helpdesk.mail").info("talking to the server")

    capsys.readouterr()
    send_logged(send, row)
    assert seen == ["req-abc-123"]
    assert g.get("request_id") is None
    lines = log_lines(capsys)
    assert [(line["message"], line["request_id"]) for line in lines] == [
        ("talking to the server", "req-abc-123"), ("delivery sent", "req-abc-123")]
    assert lines[1]["queue"] == "outbox"
    assert lines[1]["delivery_id"] == 7
    assert lines[1]["attempt"] == 1


def test_a_failed_delivery_is_logged_with_its_error(app, capsys):
    row = SimpleNamespace(__tablename__="webhooks", id=3, attempts=2, request_id="req-xyz-789")

    def send(delivery):
        raise DeliveryFailed("receiver said 500")

    capsys.readouterr()
    with pytest.raises(DeliveryFailed):
        send_logged(send, row)
    (line,) = log_lines(capsys)
    assert (line["level"], line["message"], line["request_id"], line["attempt"]) == (
        "WARNING", "delivery failed", "req-xyz-789", 3)
    assert line["error"] == "DeliveryFailed: receiver said 500"


def test_slow_statements_are_logged_with_their_duration(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": "x", "TESTING": True, "SLOW_SQL_MS": 0,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'slow.db'}"})
    with app.app_context():
        capsys.readouterr()
        db.session.execute(text("SELECT 42 AS answer"))
        db.engine.dispose()
    (line,) = [line for line in log_lines(capsys) if line["logger"] == "helpdesk.sql"]
    assert line["message"] == "slow sql"
    assert line["statement"] == "SELECT 42 AS answer"
    assert line["duration_ms"] >= 0


def test_fast_statements_are_not_logged_and_production_logs_none(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    for config in ({"SLOW_SQL_MS": 60_000}, {"ENV": "production", "TRUSTED_HOSTS": ["x"]}):
        app = create_app({"SECRET_KEY": "x", "TESTING": True, **config,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'fast.db'}"})
        with app.app_context():
            capsys.readouterr()
            db.session.execute(text("SELECT 1"))
            db.engine.dispose()
        assert [line for line in log_lines(capsys) if line["logger"] == "helpdesk.sql"] == []


def test_text_logs_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SECRET_KEY": "x", "TESTING": True, "LOG_FORMAT": "text",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'text.db'}"})
    capsys.readouterr()
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "req-text-0001"})
    logging.getLogger("helpdesk.test").warning("plain words")
    err = capsys.readouterr().err
    assert response.status_code == 200
    assert "WARNING helpdesk.test [None] plain words" in err
    assert not err.lstrip().startswith("{")


def test_an_unhandled_error_is_logged_once_as_json_with_the_request_id(app, client, capsys):
    @app.get("/test-boom")
    def boom():
        raise RuntimeError("something broke")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page
    capsys.readouterr()
    response = client.get("/test-boom")
    assert response.status_code == 500
    lines = log_lines(capsys)
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert "RuntimeError: something broke" in error["exc_info"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    (line,) = [line for line in lines if line["logger"] == "helpdesk.request"]
    assert line["status"] == 500


# --- the same id in the worker, end to end (a webhook a request queued) --------------------

@pytest.fixture
def webhook_receiver(app):
    from test_webhooks import Receiver
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = True
    server = Receiver()
    yield server
    server.close()


def test_a_delivery_queued_by_a_request_is_logged_by_the_worker_under_its_id(
        app, client, admin, customer, webhook_receiver, capsys):
    from helpdesk.models import WebhookDelivery
    from helpdesk.services.webhooks import hooks
    from helpdesk.worker import run
    hooks.create_webhook(admin, url=webhook_receiver.url, events=["ticket.created"])
    login(client, customer)
    response = client.post("/portal/tickets/new", headers={"X-Request-ID": "req-e2e-000001"},
                           data={"subject": "Parcel arrived damaged",
                                 "description": "The box was crushed."})
    assert response.status_code == 302
    (delivery,) = db.session.scalars(db.select(WebhookDelivery)).all()
    assert delivery.request_id == "req-e2e-000001"

    capsys.readouterr()
    run(once=True)
    assert len(webhook_receiver.requests) == 1
    (line,) = [line for line in log_lines(capsys) if line["message"] == "delivery sent"]
    assert (line["request_id"], line["queue"], line["delivery_id"]) == (
        "req-e2e-000001", "webhook_deliveries", delivery.id)


def test_work_queued_outside_a_request_has_no_request_id(app, admin, customer,
                                                         webhook_receiver):
    from conftest import make_ticket

    from helpdesk.models import WebhookDelivery
    from helpdesk.services.webhooks import hooks
    hooks.create_webhook(admin, url=webhook_receiver.url, events=["ticket.created"])
    make_ticket(customer)
    (delivery,) = db.session.scalars(db.select(WebhookDelivery)).all()
    assert delivery.request_id is None
