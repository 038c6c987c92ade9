"""Default configuration.

Overridden, in this order, by `instance/config.py`, by `HELPDESK_*` environment
variables (``HELPDESK_DATABASE_URL`` becomes ``DATABASE_URL``; values are parsed as
JSON when they can be, so ``HELPDESK_MAX_FILES=5`` is a number) and by the mapping
passed to ``create_app`` (tests).
"""

ENV = "development"

# None means "a SQLite file in the instance folder" (resolved in create_app).
DATABASE_URL = None
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# A development key is generated once into instance/secret_key; production must set one.
SECRET_KEY = None

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"

# Tickets
TICKET_PREFIX = "TKT-"
TICKET_NUMBER_DIGITS = 6
PAGE_SIZE = 50

# Attachments: limits per file, per request and count per message.
UPLOAD_FOLDER = None  # default: instance/uploads
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
MAX_FILES = 10

# Sign-in throttling (Flask-Limiter). memory:// keeps counters per process.
RATELIMIT_STORAGE_URL = "memory://"
RATELIMIT_ENABLED = True
LOGIN_RATE_LIMIT = "5 per minute;20 per hour"

# JSON API v1 (/api/v1). Limits count per personal token, or per person for access
# tokens, or per address when signed out; storage is RATELIMIT_STORAGE_URL (Redis in
# production, e.g. redis://localhost:6379/0).
API_RATE_LIMIT = "300 per minute"
API_ACCESS_TOKEN_SECONDS = 15 * 60
API_REFRESH_TOKEN_DAYS = 30
API_PAGE_SIZE = 25          # tickets per list page unless `limit` says otherwise (max 100)
API_TOTAL_BOUND = 10_000    # `total` is exact up to this many, a lower bound beyond it
API_MAX_JSON_BYTES = 1024 * 1024   # JSON bodies; file uploads use MAX_CONTENT_LENGTH

# Outgoing e-mail; no host means in-app notifications only.
MAIL_HOST = None
MAIL_PORT = 25
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_TLS = False
MAIL_FROM = "helpdesk@localhost"

# Resolved tickets are closed automatically after this many days (`flask autoclose`).
AUTOCLOSE_DAYS = 7

# Hosts this site answers for (Flask's TRUSTED_HOSTS): a request for another Host is a
# 400, so nothing can be built from a forged Host header. In production it defaults to
# the host of BASE_URL.
TRUSTED_HOSTS = None

# The site's public address, for links written outside a request (mail, the worker).
BASE_URL = None

# Reverse proxies in front of the app (nginx, a load balancer): how many hops of
# X-Forwarded-For / -Proto / -Host to trust (werkzeug's ProxyFix). 0: none, so a client
# cannot fake its address for the per-address sign-in limits.
TRUSTED_PROXIES = 0

# Werkzeug's default; tests use a cheap method so a thousand sign-ins stay fast.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a secret)

# Background deliveries (outbox mail, webhooks): attempts and backoff between them.
DELIVERY_MAX_ATTEMPTS = 8
DELIVERY_BACKOFF_SECONDS = 30
DELIVERY_BACKOFF_MAX_SECONDS = 6 * 3600
WORKER_IDLE_SECONDS = 2
