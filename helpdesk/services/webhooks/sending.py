"""Sending one queued delivery: a signed JSON POST to the checked address.

The body is the stored event plus `delivery_id` and `timestamp`; the signature covers
the body, so it covers the timestamp too and a receiver can refuse old replays:

    X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>
    X-Helpdesk-Timestamp: <Unix seconds, as in the body>
    X-Helpdesk-Event:     ticket.created
    X-Helpdesk-Delivery:  <delivery id: the same on every retry, for de-duplication>

Outcomes: 2xx is sent. 5xx, 408, 425, 429, timeouts, refused connections and names
that do not resolve are tried again later with backoff (services/background/deliveries).
Other answers (3xx — redirects are not followed, they could lead anywhere — and 4xx)
fail at once: the receiver said no, and asking again will not change that; an admin
can retry from the delivery log after fixing the receiver.

httpx (pinned in setup.cfg) sends it: it can connect to the checked IP address while
still sending the host name for TLS (SNI and certificate checks) and in Host, which is
what closes the gap between checking a name and connecting to it; it follows no
redirects and reads no environment proxies unless told to.
"""
import hashlib
import hmac
import json
import time

import httpx
from flask import current_app

from ...models import WebhookDelivery
from ..background.deliveries import DeliveryFailed
from .targets import HostNotFound, TargetRefused, check_target

RETRIED_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "Helpdesk-Webhooks/1"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_body(delivery: WebhookDelivery, sent_at: int) -> bytes:
    payload = {"delivery_id": delivery.id, "timestamp": sent_at, **json.loads(delivery.payload)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def send_delivery(delivery: WebhookDelivery) -> None:
    """POST one delivery; raises DeliveryFailed (permanent or not) unless a 2xx came
    back. Records the response status on the row either way."""
    hook = delivery.webhook
    if not hook.active:
        raise DeliveryFailed("The webhook is switched off.", permanent=True)
    try:
        target = check_target(hook.url)  # again: DNS may have changed since it was saved
    except HostNotFound as error:
        raise DeliveryFailed(str(error)) from None
    except TargetRefused as error:
        raise DeliveryFailed(str(error), permanent=True) from None
    sent_at = int(time.time())
    body = request_body(delivery, sent_at)
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.id),
        "X-Helpdesk-Timestamp": str(sent_at),
        "X-Helpdesk-Signature": sign(hook.secret, body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    seconds = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    try:
        with httpx.Client(timeout=httpx.Timeout(seconds), follow_redirects=False,
                          trust_env=False) as client, \
                client.stream("POST", target.connect_url, content=body, headers=headers,
                              extensions=extensions) as response:
            status = response.status_code  # the body is never read: it may be huge
    except httpx.TimeoutException:
        raise DeliveryFailed(f"No answer within {seconds} seconds.") from None
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    delivery.response_status = status
    if 200 <= status < 300:
        return
    if status >= 500 or status in RETRIED_STATUSES:
        raise DeliveryFailed(f"The receiver answered HTTP {status}.")
    raise DeliveryFailed(f"The receiver answered HTTP {status}; not retried.", permanent=True)
