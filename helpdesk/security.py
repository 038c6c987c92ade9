"""What every response and every page gets: security headers (CSP, framing, sniffing,
referrer), no caching of pages shown to a signed-in person, and user text with its
bidirectional-override controls removed."""
import re

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI): they
# let "Refund \u202egnp.exe" read as "Refund exe.png". Right-to-left text itself is kept.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(value):
    """Jinja's `finalize`: every `{{ value }}` on every page, before escaping."""
    if isinstance(value, str):
        # str.replace keeps the type: Markup stays Markup (removing characters from
        # markup that is already safe keeps it safe), plain text stays to be escaped.
        for control in set(BIDI_CONTROLS.findall(value)):
            value = value.replace(control, "")
    return value


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = without_bidi_controls

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static" and current_user.is_authenticated:
            # Personal data: no shared or back-button cache may keep it.
            headers.setdefault("Cache-Control", "no-store")
        return response
