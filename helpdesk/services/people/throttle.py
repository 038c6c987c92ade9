"""Throttling of password guesses that an attacker cannot turn into a lockout.

Failed sign-ins (pages and the API's token endpoint alike) are counted in the rate
limiter's storage — Redis when HELPDESK_RATELIMIT_STORAGE_URL is set (one count for every
process), else in-process memory — under three keys:

- the (account, address) pair, LOGIN_RATE_LIMIT: one address guessing one account;
- the address, LOGIN_ADDRESS_RATE_LIMIT: one address guessing many accounts;
- the account, LOGIN_ACCOUNT_RATE_LIMIT: guesses for one account from anywhere.

Going over the account's limit is a slower path, not a wall: each address then gets
LOGIN_ACCOUNT_SLOW_LIMIT for that account (one try per quarter of an hour), so the owner
signing in from an address that has not been guessing still gets their try, while a
botnet's addresses get one guess each per window. The first time an account goes over
its limit in a window, its owner is told (in the app and by mail).

Addresses are case-insensitive (normalised as everywhere else) and hashed into the keys.
Refusals are services.errors.TooManyAttempts. Other password checks (the current
password on /auth/password and the address-change form, second-factor codes) use
`check_attempts` / `count` with their own key.
"""
import hashlib
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse_many

from ...extensions import limiter
from ..errors import TooManyAttempts

TOO_MANY_SIGN_INS = "Too many sign-in attempts."


@dataclass(frozen=True)
class Counter:
    """One throttled thing: the limits (a config key) and whose attempts they count."""
    config_key: str
    key: str

    def items(self) -> list[RateLimitItem]:
        return parse_many(current_app.config[self.config_key])


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _account(email: str) -> str:
    from .accounts import normalize_email  # accounts imports this module
    return _digest(normalize_email(email or "")[:254])


def _exhausted(counter: Counter) -> int | None:
    """Seconds until `counter` allows another attempt, or None when it allows one now."""
    strategy = limiter.limiter
    waits = []
    for item in counter.items():
        if not strategy.test(item, counter.key):
            reset, _remaining = strategy.get_window_stats(item, counter.key)
            waits.append(int(reset - time.time()) + 1)
    return max(waits) if waits else None


def _hit(counter: Counter) -> None:
    for item in counter.items():
        limiter.limiter.hit(item, counter.key)


# --- generic: one key, one limit ------------------------------------------------------------

def check_attempts(config_key: str, key: str, message: str, *, field: str | None = None) -> None:
    """Refuse (TooManyAttempts) while `key` is over the limits in config[config_key]."""
    if not _enabled():
        return
    wait = _exhausted(Counter(config_key, key))
    if wait is not None:
        raise TooManyAttempts(message, retry_after=wait, field=field)


def count(config_key: str, key: str) -> None:
    """One more attempt (or failure) for `key`."""
    if _enabled():
        _hit(Counter(config_key, key))


# --- sign-in --------------------------------------------------------------------------------

def _counters(email: str, address: str | None) -> dict[str, Counter]:
    account, address = _account(email), address or "unknown"
    return {
        "pair": Counter("LOGIN_RATE_LIMIT", f"signin:pair:{account}:{address}"),
        "address": Counter("LOGIN_ADDRESS_RATE_LIMIT", f"signin:address:{address}"),
        "account": Counter("LOGIN_ACCOUNT_RATE_LIMIT", f"signin:account:{account}"),
        "slow": Counter("LOGIN_ACCOUNT_SLOW_LIMIT", f"signin:slow:{account}:{address}"),
    }


def check_sign_in(email: str, address: str | None) -> None:
    """Before the password is checked: refuse while this address has spent its tries for
    this account, or for all accounts, or — while the account as a whole is over its
    limit — its one slow-path try."""
    if not _enabled():
        return
    counters = _counters(email, address)
    waits = [_exhausted(counters["pair"]), _exhausted(counters["address"])]
    if _exhausted(counters["account"]) is not None:
        waits.append(_exhausted(counters["slow"]))
    waits = [wait for wait in waits if wait is not None]
    if waits:
        raise TooManyAttempts(TOO_MANY_SIGN_INS, retry_after=max(waits))


def sign_in_failed(email: str, address: str | None) -> bool:
    """Count a failed sign-in. True when this failure took the account over its limit
    (the burst its owner is told about)."""
    if not _enabled():
        return False
    counters = _counters(email, address)
    was_open = _exhausted(counters["account"]) is None
    for counter in counters.values():
        _hit(counter)
    return was_open and _exhausted(counters["account"]) is not None
