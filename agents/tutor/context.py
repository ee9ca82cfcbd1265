"""What every tool of one turn sees: whose turn it is, and how to reach the database."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db.engine import SessionFactory
from db.pubsub import Bus
from db.study.modes import TutorMode

MODES = tuple(TutorMode)


@dataclass
class TutorContext:
    """The run context of one assistant turn.

    The user id ALWAYS comes from here, never from a tool's arguments: the model only
    chooses what to look for, never whose data it looks in.
    """

    user_id: int
    session_id: int
    message_id: int  # the assistant message being generated
    topic_id: int | None
    mode: str  # a TutorMode
    # Tools open their own short unit of work from this (db.engine.unit_of_work).
    session_factory: SessionFactory
    bus: Bus
    clock: Callable[[], datetime]
    # The passages' embedding model for searches (None: the packaged local model).
    embedder: Any = None
    # Passages the tools showed the model (hit.citation()), deduplicated by chunk_id.
    citations: list[dict[str, Any]] = field(default_factory=list)
    # record_quiz_answer records at most one review per turn (one answer, one review).
    quiz_answer_recorded: bool = False

    def add_citation(self, citation: dict[str, Any]) -> None:
        """Remember a cited passage once, however often the model searches."""
        chunk_id = citation.get("chunk_id")
        if all(existing.get("chunk_id") != chunk_id for existing in self.citations):
            self.citations.append(citation)
