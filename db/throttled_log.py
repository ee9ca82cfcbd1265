"""One-line warnings that repeat at most once per interval.

During an outage of the broadcast backend every publish fails the same way: a
traceback per failure (hundreds a second under load) would bury everything else in
the log. The first failure is logged at once, the rest are counted and reported in
the next line, at most one per interval.
"""

import logging
import time
from collections.abc import Callable


class ThrottledWarning:
    """Warnings on `logger`, at most one line per `interval_seconds`."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval_seconds
        self._monotonic = monotonic
        self._next_at = float("-inf")
        self._suppressed = 0

    def warn(self, message: str, error: BaseException) -> None:
        """Log `message` and the error's type and text in one line, unless too soon."""
        now = self._monotonic()
        if now < self._next_at:
            self._suppressed += 1
            return
        suffix = f" ({self._suppressed} more since the last report)" if self._suppressed else ""
        self._logger.warning("%s: %s: %s%s", message, type(error).__name__, error, suffix)
        self._suppressed = 0
        self._next_at = now + self._interval
