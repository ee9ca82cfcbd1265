"""Domain errors: one small class per failure a client can act on.

The GraphQL layer maps each `code` to `extensions.code` in one place
(`schema/errors.py`); nothing below the API knows about GraphQL. A code shared with a
failed answer's (RATE_LIMITED) is the FailureCode member itself, so the two cannot drift.
"""

from db.chat.states import FailureCode


class DomainError(Exception):
    """A failure the client caused or can act on; its message is safe to show."""

    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    """No valid credentials: missing, expired or revoked token, or a wrong password."""

    code = "UNAUTHENTICATED"


class NotFound(DomainError):
    """The object does not exist or belongs to someone else: the two look the same."""

    code = "NOT_FOUND"

    def __init__(self, kind: str, message: str | None = None) -> None:
        super().__init__(message or f"{kind} not found", kind=kind)


class BadUserInput(DomainError):
    """An argument is malformed or out of range; `field` names the input at fault."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class Conflict(DomainError):
    """The request clashes with existing state (a taken email, a reused key)."""

    code = "CONFLICT"


class RateLimited(DomainError):
    """A budget or rate is spent; retry later."""

    code = FailureCode.RATE_LIMITED


class PayloadTooLarge(DomainError):
    """The request body or an upload is over its limit."""

    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    """An upload's bytes are not of a type we accept."""

    code = "UNSUPPORTED_MEDIA_TYPE"
