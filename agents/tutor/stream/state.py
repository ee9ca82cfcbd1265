"""What one running turn has produced so far, and the handles to stop it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from db.chat.tool_calls import ToolCall
from tutor.links import LinkGuard, LinkPolicy

if TYPE_CHECKING:
    from agents.result import RunResultStreaming

    from tutor.stream.coalesce import TextCoalescer


@dataclass
class TurnState:
    """What the turn has produced so far; the row is flushed from this."""

    seq: int = 0
    parts: list[str] = field(default_factory=list)
    # UTF-8 bytes of the text so far, published or still coalescing (the answer's size
    # limit counts these).
    text_bytes: int = 0
    # The model's text passes through this before it is published or stored: links to
    # hosts off the allowlist are neutralised (one split across deltas is held back).
    links: LinkGuard = field(default_factory=lambda: LinkGuard(LinkPolicy()))
    tool_calls: list[ToolCall] = field(default_factory=list)
    flushed_seq: int = 0
    # Another process ended this turn (our lease lapsed): publish nothing more, since
    # subscribers already have its terminal event.
    ended_elsewhere: bool = False
    # Holds text deltas back to merge those of one window into one event (None: every
    # delta is published at once). `parts` has only the text already published.
    coalescer: TextCoalescer | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class RunHandle:
    """One running turn in the process's registry."""

    task: asyncio.Task | None = None
    result: RunResultStreaming | None = None
    stop_requested: bool = False
    # Writing the terminal state: stops and shutdown must not cancel the task now, or
    # a finished answer would be left PENDING for the reaper to fail.
    finishing: bool = False
