"""The conversation a turn's model sees, built from our own message rows."""

from sqlalchemy import literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.chat.states import MessageRole
from db.models import Message

HISTORY_MAX_MESSAGES = 24
# What the tutor is asked when the learner wants more on an answer (never stored).
GO_DEEPER_PROMPT = (
    "Go deeper on your previous answer: more detail, a worked example, and the common "
    "mistakes, still grounded in my material."
)


async def _ancestors(session: AsyncSession, *, answer: Message) -> list[Message]:
    """The answer's nearest HISTORY_MAX_MESSAGES ancestors, oldest first, in one query.

    A recursive CTE walks the parent chain on both databases; one round trip instead of
    one per message, which on PostgreSQL was up to 24 sequential reads per turn.
    """
    if answer.parent_id is None:
        return []
    owned = col(Message.owner_id) == answer.owner_id
    chain = (
        select(col(Message.id), col(Message.parent_id), literal(1).label("depth"))
        .where(col(Message.id) == answer.parent_id, owned)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(col(Message.id), col(Message.parent_id), (chain.c.depth + 1).label("depth"))
        .join(chain, col(Message.id) == chain.c.parent_id)
        .where(owned, chain.c.depth < HISTORY_MAX_MESSAGES)
    )
    rows = await session.exec(
        select(Message).join(chain, col(Message.id) == chain.c.id).order_by(chain.c.depth.desc())
    )
    return list(rows)


async def build_history(session: AsyncSession, *, answer: Message) -> list[dict[str, str]]:
    """The conversation on the answer's branch, oldest first, ending with what it answers.

    Built from our own rows (no SDK sessions): the chain of parents, so a regenerated
    branch never sees its siblings. Empty partial answers are left out.
    """
    chain = await _ancestors(session, answer=answer)
    items = [
        {"role": "user" if row.role == MessageRole.USER else "assistant", "content": row.content}
        for row in chain
        if row.content
    ]
    if chain and chain[-1].role == MessageRole.ASSISTANT:
        items.append({"role": "user", "content": GO_DEEPER_PROMPT})
    return items
