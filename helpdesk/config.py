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

# Attachments: where they are stored, limits per file, per request and count per message.
STORAGE_BACKEND = "local"  # "local": UPLOAD_FOLDER; "s3": an S3-compatible bucket
UPLOAD_FOLDER = None  # default: instance/uploads
S3_BUCKET = None
S3_ENDPOINT_URL = None  # None: AWS itself; e.g. "http://minio.internal:9000"
S3_REGION = None
S3_PREFIX = ""  # keys go under "<prefix>/" when set
S3_ACCESS_KEY_ID = None  # None: boto3's usual lookup (AWS_* variables, ~/.aws, role)
S3_SECRET_ACCESS_KEY = None
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
MAX_FILES = 10

# Sign-in throttling (Flask-Limiter). memory:// keeps counters per process.
RATELIMIT_STORAGE_URL = "memory://"
RATELIMIT_ENABLED = True
LOGIN_RATE_LIMIT = "5 per minute;20 per hour"

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
# The worker says it is alive (a worker_heartbeats row) at most this often; /readyz
# fails when the newest heartbeat is older than WORKER_HEARTBEAT_MAX_AGE. Whether a
# worker is expected at all: None means "in production, yes".
WORKER_HEARTBEAT_SECONDS = 10
WORKER_HEARTBEAT_MAX_AGE = 300
WORKER_EXPECTED = None

# --- Operations (helpdesk/ops/, docs/deployment.md) ---------------------------------------
# Logs: one JSON line per record on stderr ("json"), or plain text ("text").
LOG_FORMAT = "json"
LOG_LEVEL = "INFO"
# SQL statements slower than this many milliseconds are logged with their duration.
# None: 200 ms in development, off in production.
SLOW_SQL_MS = None

# /metrics (Prometheus) answers only a bearer token or listed addresses (IPs or
# networks, e.g. ["127.0.0.1", "10.0.0.0/8"]); with neither set it is a 404.
METRICS_TOKEN = None
METRICS_ALLOWED_IPS = []
# Ticket counts by status are cached this long per process (a GROUP BY over all tickets).
METRICS_TICKET_COUNTS_TTL = 30

# Redis for /readyz when one is used; default: the rate-limit storage if it is redis://.
REDIS_URL = None

# When files are on local disk and nginx serves them: after the permission check the
# download answers with X-Accel-Redirect: <prefix><storage key> and nginx sends the bytes
# (an `internal` location, see deploy/nginx.conf). None: the app streams the file.
ACCEL_REDIRECT_PREFIX = None

# Webhooks: private, loopback and link-local targets are refused unless this is on
# (receivers on the same network; tests on loopback). Seconds to connect / to answer.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
WEBHOOK_TIMEOUT_SECONDS = 5
