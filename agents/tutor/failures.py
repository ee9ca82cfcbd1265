"""Why a turn failed, in the words of `MessageFailed.code`, and whether a retry may help."""

import logging
from dataclasses import dataclass

from db.chat.states import FailureCode, is_retryable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnFailure:
    """A provider or run failure as the client sees it (the message is safe to show)."""

    code: FailureCode
    message: str

    @property
    def retryable(self) -> bool:
        """Whether asking again may work: the one rule, from the code."""
        return is_retryable(self.code)


# The turn's process stopped before it ended (shut down, or its lease lapsed).
INTERRUPTED = TurnFailure(
    FailureCode.INTERRUPTED, "the server running this answer stopped; ask again"
)


class AnswerTooLong(Exception):
    """The answer reached the size limit: the run stops, the text so far is kept."""


def classify_failure(exc: BaseException) -> TurnFailure:
    """Map an exception from a run to a client-facing code and whether to retry."""
    # Imported here: only a failed turn needs them, and a turn has imported them already
    # (the API itself starts without the SDK and openai).
    import httpx2
    import openai
    from agents.exceptions import MaxTurnsExceeded, ModelTimeoutError

    # Timeouts raised by the HTTP stack while a stream is being read: openai wraps the
    # ones raised before the response starts (APITimeoutError) but not those met while
    # iterating an SSE body. openai 3.x runs on httpx2 (not httpx).
    read_timeouts = (httpx2.TimeoutException,)
    # A connection that drops in the middle of a streamed body, likewise unwrapped.
    transport_errors = (httpx2.TransportError, ConnectionError)
    # Order matters: APITimeoutError is an APIConnectionError, and the read timeouts
    # are transport errors.
    if isinstance(exc, AnswerTooLong):
        return TurnFailure(FailureCode.ANSWER_TOO_LONG, "the answer reached the size limit")
    if isinstance(exc, MaxTurnsExceeded):
        return TurnFailure(FailureCode.MAX_TURNS, "the tutor needed too many steps to answer")
    if isinstance(exc, (openai.APITimeoutError, ModelTimeoutError, TimeoutError)):
        return TurnFailure(FailureCode.TIMEOUT, "the model provider did not answer in time")
    if isinstance(exc, read_timeouts):
        return TurnFailure(FailureCode.TIMEOUT, "the model provider did not answer in time")
    if isinstance(exc, openai.RateLimitError):
        return TurnFailure(FailureCode.RATE_LIMITED, "the model provider is rate limiting us")
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return TurnFailure(FailureCode.PROVIDER_AUTH, "the model provider refused our credentials")
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return TurnFailure(FailureCode.PROVIDER_UNAVAILABLE, "the model provider failed")
    if isinstance(exc, (openai.APIConnectionError, *transport_errors)):
        return TurnFailure(FailureCode.PROVIDER_UNAVAILABLE, "the model provider cannot be reached")
    if isinstance(exc, openai.APIError) and not isinstance(exc, openai.APIStatusError):
        # An error event in the middle of a streamed response: the provider failed.
        return TurnFailure(FailureCode.PROVIDER_UNAVAILABLE, "the model provider failed mid-answer")
    logger.error("unexpected failure in a tutor turn", exc_info=exc)
    return TurnFailure(FailureCode.INTERNAL, "the tutor failed unexpectedly")
