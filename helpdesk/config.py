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
# Server-side sessions (services/people/sessions.py) end after this long unused; the
# "keep me signed in" cookie lives as long.
SESSION_MAX_IDLE_DAYS = 30
REMEMBER_COOKIE_DURATION = 30 * 24 * 3600

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
# Files of a form that failed validation are kept this long for their owner.
PENDING_UPLOAD_HOURS = 6

# Throttling (Flask-Limiter's storage). memory:// keeps counters per process; Redis
# (redis://…) shares them between processes.
RATELIMIT_STORAGE_URL = "memory://"
RATELIMIT_ENABLED = True
# Failed sign-ins (services/people/throttle.py): per (account, address) pair, per
# address, per account; over the account's limit each address gets the slow path only,
# so guessing cannot lock the owner out.
LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
LOGIN_ADDRESS_RATE_LIMIT = "20 per minute;100 per hour"
LOGIN_ACCOUNT_RATE_LIMIT = "20 per hour"
LOGIN_ACCOUNT_SLOW_LIMIT = "2 per 15 minutes"
# Wrong current passwords (/auth/password, the address change) per signed-in person.
PASSWORD_CHECK_RATE_LIMIT = "5 per 15 minutes"  # noqa: S105 (a limit, not a secret)
# Two-step sign-in (services/people/two_factor.py): wrong codes per person; whether admins
# must have it before the console opens (None: yes in production, no in development and
# the demo); how long the step between password and code may take.
TWO_FACTOR_RATE_LIMIT = "5 per 5 minutes"
REQUIRE_ADMIN_2FA = None
TWO_FACTOR_PENDING_SECONDS = 300
# Sign-ups and agent applications per address (all attempts, not only failures).
SIGNUP_RATE_LIMIT = "5 per hour;20 per day"

# JSON API v1 (/api/v1). Limits count per personal token, or per person for access
# tokens, or per address when signed out; storage is RATELIMIT_STORAGE_URL (Redis in
# production, e.g. redis://localhost:6379/0).
API_RATE_LIMIT = "300 per minute"
API_ACCESS_TOKEN_SECONDS = 15 * 60
API_REFRESH_TOKEN_DAYS = 30
API_PAGE_SIZE = 25          # tickets per list page unless `limit` says otherwise (max 100)
API_MAX_JSON_BYTES = 1024 * 1024   # JSON bodies; file uploads use MAX_CONTENT_LENGTH

# Outgoing e-mail; no host means in-app notifications only (nothing is queued).
MAIL_HOST = None
MAIL_PORT = 25
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_TLS = False
MAIL_FROM = "helpdesk@localhost"
MAIL_TIMEOUT = 10  # seconds the worker waits for the SMTP server
# The address customers write to; replies come back to support+<token>@its domain.
# Default: MAIL_FROM's address.
SUPPORT_ADDRESS = None
# Incoming mail: `flask mail fetch` polls this mailbox (imaps://user:pass@host:993/INBOX)
# and moves handled mail to IMAP_DONE_FOLDER, unreadable mail to IMAP_FAILED_FOLDER.
IMAP_URL = None
IMAP_DONE_FOLDER = "Processed"
IMAP_FAILED_FOLDER = "Unreadable"
IMAP_CA_FILE = None  # a CA bundle for a server with its own certificate authority
IMAP_TIMEOUT = 30
MAIL_MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # larger mail is refused with a reply
MAIL_NOTE_MARKER = "#note"  # an agent's mailed reply starting with it stays internal

# Accounts by mail: reset links live an hour; sign-up and address-change links a week.
PASSWORD_RESET_MAX_AGE = 3600
EMAIL_LINK_MAX_AGE = 7 * 24 * 3600
RESET_RATE_LIMIT = "3 per 15 minutes;10 per day"
# Customers who signed up on the web confirm their address before their first ticket.
REQUIRE_EMAIL_VERIFICATION = True

# Resolved tickets are closed automatically after this many days (`flask autoclose`).
AUTOCLOSE_DAYS = 7

# Hosts this site answers for (Flask's TRUSTED_HOSTS): a request for another Host is a
# 400, so nothing can be built from a forged Host header. In production it defaults to
# the host of BASE_URL.
TRUSTED_HOSTS = None

# The site's public address: every link in a mail is built from it, never from the Host
# header of the request that caused the mail. Development default: http://127.0.0.1:5000;
# production with MAIL_HOST set refuses to start without it.
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
# A claimed delivery is retried after this long if its worker died mid-send; it must be
# longer than one delivery can take (MAIL_TIMEOUT per SMTP step).
DELIVERY_LEASE_SECONDS = 300
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
