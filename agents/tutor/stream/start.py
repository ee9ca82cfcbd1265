"""Starting answers for the API: the rows in one unit of work, then the turn's task.

The rows are committed before the task starts, so the turn always finds them; the
lease a new answer gets is this process's (the reaper's rule for a dead process).
"""

from dataclasses import dataclass

from db.chat import turns
from db.chat.turns import ClientMessageRace, Turn
from db.engine import unit_of_work
from db.study import study_sessions
from tutor.stream.generations import Generations
from tutor.stream.settings import TurnRequest


@dataclass(frozen=True)
class TurnLimits:
    """What one user may spend: tokens per day, answers at once (None: unlimited)."""

    daily_token_budget: int | None = None
    max_running_answers: int | None = None


async def send_message(
    generations: Generations,
    *,
    owner_id: int,
    session_id: int,
    content: str,
    client_message_id: str | None,
    mode: str | None,
    model: str | None,
    limits: TurnLimits,
    client_history: tuple[dict[str, str], ...] | None = None,
) -> Turn:
    """The learner's message and the tutor's answer, started (idempotent on the key)."""
    try:
        async with unit_of_work(generations.session_factory) as session:
            study_session = await study_sessions.get_study_session(
                session, owner_id=owner_id, session_id=session_id
            )
            turn = await turns.create_turn(
                session,
                study_session=study_session,
                content=content,
                client_message_id=client_message_id,
                mode=mode or study_session.mode,
                model=generations.catalog.check(model or study_session.model),
                now=generations.clock(),
                lease_seconds=generations.settings.lease_seconds,
                daily_token_budget=limits.daily_token_budget,
                max_running_answers=limits.max_running_answers,
            )
            topic_id = study_session.topic_id
    except ClientMessageRace:
        # A concurrent retry with the same key won: answer with its turn (a new
        # transaction: this one cannot continue after the failed insert).
        async with unit_of_work(generations.session_factory) as session:
            turn = await turns.replay_turn(
                session,
                session_id=session_id,
                client_message_id=client_message_id,
                content=content,
            )
        topic_id = None
    _launch(generations, turn, topic_id, client_history)
    return turn


async def follow_up(
    generations: Generations,
    *,
    owner_id: int,
    message_id: int,
    regenerate: bool,
    model: str | None,
    limits: TurnLimits,
) -> Turn:
    """A new answer: deeper on `message_id`, or (regenerate) a sibling of it, started."""
    async with unit_of_work(generations.session_factory) as session:
        turn = await turns.create_follow_up(
            session,
            owner_id=owner_id,
            message_id=message_id,
            regenerate=regenerate,
            model=generations.catalog.check(model) if model else None,
            now=generations.clock(),
            lease_seconds=generations.settings.lease_seconds,
            daily_token_budget=limits.daily_token_budget,
            max_running_answers=limits.max_running_answers,
        )
        study_session = await study_sessions.get_study_session(
            session, owner_id=owner_id, session_id=turn.assistant_message.session_id
        )
        topic_id = study_session.topic_id
    _launch(generations, turn, topic_id)
    return turn


def _launch(
    generations: Generations,
    turn: Turn,
    topic_id: int | None,
    client_history: tuple[dict[str, str], ...] | None = None,
) -> None:
    """Start the turn's generation (after its rows are committed); a replay starts none."""
    if not turn.created:
        return
    answer = turn.assistant_message
    generations.launch(
        TurnRequest(
            user_id=answer.owner_id,
            session_id=answer.session_id,
            message_id=answer.id,
            topic_id=topic_id,
            mode=answer.mode,
            model=answer.model,
            # The turn announces its messages on sessionEvents before its first event,
            # even if this request is cancelled right after launching it.
            announce=tuple(row.id for row in (turn.user_message, answer) if row is not None),
            client_history=client_history,
        )
    )
