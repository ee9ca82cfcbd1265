"""Following one tutor answer as text pieces, and its end as a completion's last parts.

The text is what the turn published (after the link guard), read with the same
follower as GraphQL's messageEvents, so a late start or a lag loses nothing.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from db.channels import message_channel
from db.chat.states import FailureCode, MessageStatus
from db.engine import unit_of_work
from db.models import Message, StudyMaterial
from tutor.links import neutralise
from tutor.stream.codec import EventType, MessageEventData
from tutor.stream.followers import Ended, MessageFollower, Snapshot
from tutor.stream.generations import Generations

QUOTE_CHARS = 300


@dataclass(frozen=True)
class Piece:
    """New text of the answer."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The answer's final row, and its sources."""

    row: Message
    citations: list[dict[str, Any]]

    @property
    def finish_reason(self) -> str:
        if self.row.error_code == FailureCode.ANSWER_TOO_LONG:
            return "length"
        return "stop"

    @property
    def usage(self) -> dict[str, int]:
        prompt, completion = self.row.input_tokens or 0, self.row.output_tokens or 0
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    @property
    def failed(self) -> bool:
        return self.row.status == MessageStatus.FAILED and self.finish_reason != "length"

    def sources_text(self) -> str:
        """The short sources list appended to the answer's text."""
        if not self.citations:
            return ""
        lines = [
            f"[{c['index']}] {c['title']}" + (f", p. {c['page']}" if c.get("page") else "")
            for c in self.citations
        ]
        return "\n\nSources:\n" + "\n".join(lines)


async def follow_answer(
    generations: Generations, *, owner_id: int, message_id: int
) -> AsyncIterator[Piece | Finished]:
    """The answer's text as it is written, then its end."""
    follower = await MessageFollower.open(
        generations.session_factory,
        owner_id=owner_id,
        message_id=message_id,
        after_seq=0,
        check_access=lambda: owner_id,
    )
    sent = ""
    async with generations.bus.subscribe(message_channel(message_id)) as events:
        async for item in follower.follow(events):
            if isinstance(item, MessageEventData):
                if item.type == EventType.DELTA and item.delta:
                    sent += item.delta
                    yield Piece(item.delta)
            elif isinstance(item, Snapshot | Ended) and item.row.content.startswith(sent):
                missed = item.row.content[len(sent) :]
                if missed:
                    sent += missed
                    yield Piece(missed)
            if isinstance(item, Ended):
                yield Finished(item.row, await _citations(generations, item.row))
                return


async def _citations(generations: Generations, row: Message) -> list[dict[str, Any]]:
    """The answer's citations for clients: number, source title, page, a short quote."""
    stored = [c for c in row.citations or [] if isinstance(c, dict)]
    ids = {c.get("material_id") for c in stored}
    async with unit_of_work(generations.session_factory) as session:
        titles = dict(
            (
                await session.exec(
                    select(StudyMaterial.id, StudyMaterial.filename).where(
                        col(StudyMaterial.id).in_(ids), StudyMaterial.owner_id == row.owner_id
                    )
                )
            ).all()
        )
    policy = generations.settings.link_policy
    return [
        {
            "index": index,
            "title": titles.get(c.get("material_id"), "deleted material"),
            "material_id": c.get("material_id"),
            "page": c.get("page"),
            # Quoted material is data: its links are neutralised like the answer's.
            "quote": neutralise(str(c.get("quote") or "")[:QUOTE_CHARS], policy),
        }
        for index, c in enumerate(stored, start=1)
    ]
