"""The values a message row's role, status, error code and tool calls take.

str-valued enums: a member compares equal to, and is stored as, exactly the string the
rows held before they were enums.
"""

from enum import StrEnum


class MessageRole(StrEnum):
    """Who wrote a message."""

    USER = "USER"
    ASSISTANT = "ASSISTANT"


class MessageStatus(StrEnum):
    """Where a message is in its life (a user's message is COMPLETE when stored)."""

    PENDING = "PENDING"
    STREAMING = "STREAMING"
    COMPLETE = "COMPLETE"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


RUNNING_STATUSES = (MessageStatus.PENDING, MessageStatus.STREAMING)
TERMINAL_STATUSES = (MessageStatus.COMPLETE, MessageStatus.CANCELLED, MessageStatus.FAILED)


class FailureCode(StrEnum):
    """Why an answer FAILED (Message.errorCode, MessageFailed.code)."""

    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    RATE_LIMITED = "RATE_LIMITED"
    PROVIDER_AUTH = "PROVIDER_AUTH"
    TIMEOUT = "TIMEOUT"
    MAX_TURNS = "MAX_TURNS"
    # The process generating it stopped (shut down, or died and its lease lapsed).
    INTERRUPTED = "INTERRUPTED"
    # The answer reached the server's size limit; the text up to it is kept.
    ANSWER_TOO_LONG = "ANSWER_TOO_LONG"
    INTERNAL = "INTERNAL"


# The one rule for which failures asking again may well cure.
_RETRYABLE = frozenset(
    {
        FailureCode.PROVIDER_UNAVAILABLE,
        FailureCode.RATE_LIMITED,
        FailureCode.TIMEOUT,
        FailureCode.INTERRUPTED,
    }
)


def is_retryable(code: str) -> bool:
    """Whether asking again may work after a failure with this code."""
    return code in _RETRYABLE


class ToolCallStatus(StrEnum):
    """Where a tool call the tutor made is."""

    RUNNING = "RUNNING"
    DONE = "DONE"
    # Raised an error (the model was told so), or never returned: the turn ended first.
    FAILED = "FAILED"
