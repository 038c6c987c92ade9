"""Helpdesk: a self-hosted support helpdesk. `create_app` wires the pieces together."""
import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from sqlalchemy import event
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import csrf, db, limiter, login_manager, migrate


class ConfigurationError(RuntimeError):
    """Start-up refused: the configuration is unsafe or incomplete."""


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("HELPDESK_INSTANCE_PATH") or None,
                template_folder="../templates", static_folder="../static")
    load_config(app, config)
    register_extensions(app)
    from . import ops, web
    ops.init_app(app)  # logs, metrics, /healthz, /readyz, /metrics
    web.init_app(app)  # the `id` URL converter must exist before the blueprints' routes
    register_blueprints(app)
    register_error_pages(app)
    register_template_helpers(app)
    from . import cli, security
    security.init_app(app)
    cli.init_app(app)
    return app


def load_config(app: Flask, config: dict | None) -> None:
    app.config.from_object("helpdesk.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("HELPDESK", loads=_loads)
    if config:
        app.config.from_mapping(config)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'helpdesk.db'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3 is our driver
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("UPLOAD_FOLDER", None)
    app.config["UPLOAD_FOLDER"] = app.config["UPLOAD_FOLDER"] or str(instance / "uploads")
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URL"]
    is_production = app.config["ENV"] == "production"
    app.config["SESSION_COOKIE_SECURE"] = is_production
    app.config["REMEMBER_COOKIE_SECURE"] = is_production
    app.config["SECRET_KEY"] = _secret_key(app, instance, is_production)
    if is_production and not app.config.get("TRUSTED_HOSTS") and app.config.get("BASE_URL"):
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["BASE_URL"]).hostname]
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # the client's address, scheme and host as the proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies)
    app.config["BASE_URL"] = _base_url(app, is_production)


def _base_url(app: Flask, is_production: bool) -> str:
    """Links in mail come from here, never from a request's Host header (which the
    sender of the request chooses)."""
    url = (app.config.get("BASE_URL") or "").rstrip("/")
    if url:
        return url
    if is_production and app.config.get("MAIL_HOST"):
        raise ConfigurationError(
            "HELPDESK_BASE_URL is not set. Mail carries links to the site; set it to the "
            "public address, e.g. HELPDESK_BASE_URL=https://help.example.com.")
    return "http://127.0.0.1:5000"


def _loads(value: str):
    """Environment values: JSON when they parse (numbers, booleans), else the text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _secret_key(app: Flask, instance: Path, is_production: bool) -> str:
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    if is_production:
        raise ConfigurationError(
            "HELPDESK_SECRET_KEY is not set. In production the secret key must come from the "
            "environment, e.g. HELPDESK_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))').")
    key_file = instance / "secret_key"
    if not key_file.exists():  # development: generated once, kept in instance/
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from . import permissions  # noqa: F401  (sign-in views and pages; auth.signing loads users)
    from .services import files, mail, webhooks
    from .services.queue import search
    mail.init_app(app)
    files.init_app(app)
    webhooks.init_app(app)
    search.register_schema_hooks()
    from .services.catalog import cache
    from .services.reporting import counters
    counters.register_schema_hooks()
    cache.register_schema_hooks()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, let readers run beside a writer, wait for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from . import api
    from .admin import bp as admin_bp
    from .agent import bp as agent_bp
    from .auth import bp as auth_bp
    from .portal import bp as portal_bp
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(agent_bp, url_prefix="/agent")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    api.init_app(app)  # /api/v1 and /api/docs


def register_error_pages(app: Flask) -> None:
    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/api/"):  # no such API route, or not that method
            from .api.problems import from_http_exception
            return from_http_exception(error)
        return render_template([f"errors/{code}.html", "errors/generic.html"],
                               error=error), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No page: building links for a host we do not serve is what the check prevents.
        return "Bad request: this site does not answer for that host name.\n", 400, {
            "Content-Type": "text/plain; charset=utf-8"}


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from .permissions import template_policy
    from .services.notifications import unread_count

    @app.context_processor
    def inject_globals():
        count = unread_count(current_user) if current_user.is_authenticated else 0
        return {"notification_count": count, **template_policy()}
