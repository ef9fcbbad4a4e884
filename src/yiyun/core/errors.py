"""Errors a service raises for the caller to show: each has a stable code and a message."""


class DomainError(Exception):
    """A request the rules refuse (HTTP 400/409 at the API, a message in the portal)."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class Conflict(DomainError):
    status = 409
