"""Migration 0110: the canned replies become shared macros without actions (same ids, same
text), old messages and descriptions are marked plain text, and new macros keep numbering
after the old ids (PostgreSQL's sequence is moved past them)."""
from conftest import PG_SERVER_URL, _pg_admin
from sqlalchemy import text
from test_migrations import _empty_database_url

from helpdesk import create_app
from helpdesk.extensions import db


def test_canned_replies_become_macros_and_old_text_stays_text(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    url, pg_name = _empty_database_url(tmp_path)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True})
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["db", "upgrade", "0071_delivery_request_id"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.session.execute(text(
                "INSERT INTO canned_replies (id, title, body, created_at, updated_at) VALUES "
                "(7, 'Refund', 'We refunded you.', '2026-01-01', '2026-01-01')"))
            db.session.commit()
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            row = db.session.execute(text(
                "SELECT id, title, body, owner_id, actions FROM macros")).one()
            assert tuple(row) == (7, "Refund", "We refunded you.", None, "{}")
            db.session.execute(text(
                "INSERT INTO macros (title, body, actions, created_at, updated_at) VALUES "
                "('New', '', '{}', '2026-01-01', '2026-01-01')"))
            new_id = db.session.scalar(text("SELECT id FROM macros WHERE title = 'New'"))
            assert new_id > 7
            db.session.rollback()
        result = runner.invoke(args=["db", "downgrade", "0071_delivery_request_id"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert db.session.execute(text(
                "SELECT id, title FROM canned_replies")).one() == (7, "Refund")
    finally:
        with app.app_context():
            db.engine.dispose()
        if pg_name:
            with _pg_admin(PG_SERVER_URL) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
