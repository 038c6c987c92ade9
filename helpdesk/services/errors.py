"""Domain errors. Views turn them into a flashed message, a form error, a 403 or a 404."""


class DomainError(Exception):
    """A rule said no. `message` is written for the person who tried."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing, or not visible to this person (we never say which)."""


class Forbidden(DomainError):
    """Visible, but this person may not do this."""


class InvalidTransition(DomainError):
    """The workflow does not allow this status change here."""


class Conflict(DomainError):
    """Someone else got there first (a take race, a second rating)."""


class InvalidInput(DomainError):
    """Input a form could not check by itself (a duplicate e-mail, a bad file)."""


class Unauthenticated(DomainError):
    """No valid credentials: a wrong password, or an unknown, expired or revoked token."""


class TooManyAttempts(DomainError):
    """Throttled (password guesses, sign-ups): try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))
