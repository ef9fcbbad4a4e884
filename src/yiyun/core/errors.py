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


class PeriodError(DomainError):
    """A period that cannot be computed: bad input, or a date outside the calendar's range."""

    def __init__(self, message: str, *, code: str = "invalid_period", field: str | None = None):
        super().__init__(message, code=code, field=field)


class CalendarImportError(DomainError):
    """A holiday schedule refused on import; `errors` lists every problem found, one a line."""

    def __init__(self, errors: list[str], *, code: str = "invalid_calendar"):
        super().__init__("\n".join(errors), code=code)
        self.errors = errors
