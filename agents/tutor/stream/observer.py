"""What a turn tells whoever watches this process (the API's metrics), and the default.

The tutor imports nothing of the API: the API hands `Generations` an object with these
methods. Each hook runs inline in the turn, so an implementation must be cheap and must
never raise (a failing gauge must not fail an answer).
"""

from typing import TYPE_CHECKING, Protocol

from tutor.failures import TurnFailure
from tutor.stream.settings import TurnRequest

if TYPE_CHECKING:
    from tutor.stream.drain import TurnOutcome


class TurnObserver(Protocol):
    def started(self, request: TurnRequest) -> None:
        """The turn's task began."""

    def text_delta(self, request: TurnRequest) -> None:
        """The model produced text (called for every delta; the first one matters)."""

    def failed_attempt(self, request: TurnRequest, failure: TurnFailure) -> None:
        """One model call failed (retried or not)."""

    def ended(self, request: TurnRequest, outcome: "TurnOutcome") -> None:
        """The turn ended, just before its end is stored."""


class NoTurnObserver:
    """Watches nothing: tests and tools that run turns without an API around them."""

    def started(self, request: TurnRequest) -> None:
        pass

    def text_delta(self, request: TurnRequest) -> None:
        pass

    def failed_attempt(self, request: TurnRequest, failure: TurnFailure) -> None:
        pass

    def ended(self, request: TurnRequest, outcome: "TurnOutcome") -> None:
        pass
