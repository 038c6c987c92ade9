"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""
import uuid

from conftest import PG_SERVER_URL, _pg_admin
from sqlalchemy.engine import make_url

from helpdesk import create_app
from helpdesk.extensions import db


def _empty_database_url(tmp_path):
    if not PG_SERVER_URL:
        return f"sqlite:///{tmp_path / 'migrations.db'}", None
    name = f"helpdesk_mig_{uuid.uuid4().hex[:10]}"
    with _pg_admin(PG_SERVER_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), name


def test_upgrade_to_head_then_autogenerate_finds_no_difference(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "instance"))
    url, pg_name = _empty_database_url(tmp_path)
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True})
        runner = app.test_cli_runner()
        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output
        downgrade = runner.invoke(args=["db", "downgrade", "base"])
        assert downgrade.exit_code == 0, downgrade.output
    finally:
        with app.app_context():
            db.engine.dispose()
        if pg_name:
            with _pg_admin(PG_SERVER_URL) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
