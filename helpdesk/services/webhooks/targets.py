"""Where a webhook may send: public addresses only, unless the operator allows more.

A URL an admin types is checked when the hook is saved and again before every delivery,
because DNS may change in between. The check resolves the host and refuses it when any
address is private, loopback, link-local, multicast, reserved or otherwise not public
(cloud metadata services live at 169.254.169.254; an intranet at 10.x): a webhook must
not become a way into the helpdesk's own network. The delivery then connects to the
address that was checked (services/webhooks/sending.py), so a second DNS answer cannot
slip a private address in between check and connect.

`WEBHOOKS_ALLOW_PRIVATE_TARGETS` (configuration, not an admin setting: it widens what a
signed-in admin can reach, so it belongs to whoever runs the server) turns the address
check off, e.g. for receivers on the same network, and for tests on loopback.
"""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

MAX_URL = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """This URL may not receive webhooks; the message says why."""


class HostNotFound(TargetRefused):
    """The host does not resolve (now): refused when saving, retried when delivering."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str          # as written in the URL (for Host and TLS)
    port: int
    path: str          # path and query, at least "/"
    address: IPAddress  # the checked address the delivery connects to

    @property
    def connect_url(self) -> str:
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL, or TargetRefused."""
    url = (url or "").strip()
    if len(url) > MAX_URL:
        raise TargetRefused(f"Keep the URL under {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("Use an http:// or https:// URL, e.g. https://example.com/hook.")
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the URL; the signature "
                            "proves the sender.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname.lower(), port, path


def not_public(address: IPAddress) -> str | None:
    """Why this address is not a public one (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    # Most specific first: 169.254.0.0/16 and 0.0.0.0 also count as "private".
    for reason, flag in (("loopback", address.is_loopback),
                         ("link-local", address.is_link_local),
                         ("unspecified", address.is_unspecified),
                         ("multicast", address.is_multicast),
                         ("private", address.is_private),
                         ("reserved", address.is_reserved)):
        if flag:
            return reason
    return None if address.is_global else "non-public"


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself).
    Raises OSError when the name does not resolve (a delivery retries later)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # Scope ids ("fe80::1%eth0") are not part of the address.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0])
                              for info in infos))


def check_target(url: str) -> Target:
    """The URL parsed and its host resolved and checked, or TargetRefused."""
    scheme, host, port, path = parse_url(url)
    try:
        addresses = resolve(host, port)
    except OSError:
        addresses = []
    if not addresses:
        raise HostNotFound(f"The host {host} cannot be found.")
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"]:
        for address in addresses:
            reason = not_public(address)
            if reason:
                where = (f"{address} is" if host == str(address).lower()
                         else f"{host} is at {address},")
                raise TargetRefused(
                    f"{where} a {reason} address: webhooks go to public addresses only "
                    "(the server's WEBHOOKS_ALLOW_PRIVATE_TARGETS setting allows others).")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
