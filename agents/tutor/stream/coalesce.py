"""Merging a turn's text deltas that arrive within a window into one delta event.

Every event costs the same to publish and to deliver to each subscriber whatever its
length, and a model sends a few characters at a time: merging cuts that cost per
character. The first delta after a quiet window is published at once (a steady, slow
stream gains no latency); one arriving within `window` seconds of the last text event
waits in the buffer, with every other delta arriving meanwhile, until that window ends
(so no delta waits longer than the window).

Text in the buffer is not yet in `TurnState.parts` nor covered by a seq: the row's
flush stores only published text. Whatever is not a text delta (a tool call, the
terminal event) publishes the buffer first (`publish_next`, `finish`), so order is kept
and nothing is lost on stop, cancel or failure. At most one publish of the buffer is in
flight, and the turn's own publishes wait for it: a turn's events reach the bus one
after another, in seq order.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

# The longest a delta may wait: the stream contract promises no more.
MAX_COALESCE_WINDOW_SECONDS = 0.05


def check_window(seconds: float) -> float:
    """The window if allowed (0 to 50 ms), else ValueError."""
    if not 0 <= seconds <= MAX_COALESCE_WINDOW_SECONDS:
        raise ValueError(
            f"a coalescing window must be between 0 and {MAX_COALESCE_WINDOW_SECONDS * 1000:g}"
            f" ms, not {seconds * 1000:g} ms"
        )
    return seconds


class TextCoalescer:
    """One turn's text on its way to the bus; `publish` appends text as delta events."""

    def __init__(self, window: float, publish: Callable[[str], Awaitable[None]]) -> None:
        self.window = check_window(window)
        self._publish = publish
        self._pending: list[str] = []
        self._last_publish = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._inflight: asyncio.Task | None = None

    @property
    def pending(self) -> str:
        """The text not yet published."""
        return "".join(self._pending)

    async def add(self, text: str) -> None:
        """Publish `text` now after a quiet window, else when the current one ends."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        idle = not self._pending and self._inflight is None
        if idle and now - self._last_publish >= self.window:
            self._last_publish = now
            await self._publish(text)
            return
        self._pending.append(text)
        if self._timer is None and self._inflight is None:
            self._timer = loop.call_at(self._last_publish + self.window, self._window_ended)

    async def flush(self) -> None:
        """Publish the buffer now (and wait for a publish in flight): before any other
        event of the turn, and at its end."""
        while self._inflight is not None:
            # Shielded: a cancelled caller must not cut the buffer's publish in two.
            await asyncio.shield(self._inflight)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            await self._publish_pending()

    def _window_ended(self) -> None:
        self._timer = None
        self._inflight = asyncio.get_running_loop().create_task(self._publish_in_background())

    async def _publish_in_background(self) -> None:
        try:
            await self._publish_pending()
        except Exception:
            # Nobody awaits this task unless a flush comes meanwhile: report it here
            # rather than as "Task exception was never retrieved" or in the turn's end.
            logger.warning("publishing coalesced text failed", exc_info=True)
        finally:
            self._inflight = None
            if self._pending and self._timer is None:
                # Text arrived while this publish was awaiting the bus.
                loop = asyncio.get_running_loop()
                self._timer = loop.call_at(self._last_publish + self.window, self._window_ended)

    async def _publish_pending(self) -> None:
        # Taken from the buffer before the first await: text added meanwhile waits for
        # the next window.
        text, self._pending = "".join(self._pending), []
        self._last_publish = asyncio.get_running_loop().time()
        await self._publish(text)
