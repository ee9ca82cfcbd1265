"""Talking to the tutor: send, go deeper, regenerate, stop."""

import strawberry

from db.chat import turns
from db.engine import unit_of_work
from db.errors import BadUserInput
from db.study import study_sessions
from schema.chat.types import Message, SendMessageInput, SendMessagePayload
from schema.context import Context, Info
from schema.relay import row_id_of
from tutor.turn import TurnRequest


async def _start(context: Context, turn: turns.Turn, topic_id: int | None) -> SendMessagePayload:
    """Launch the turn's generation (after its rows are committed)."""
    answer = turn.assistant_message
    if turn.created:
        context.generations.launch(
            TurnRequest(
                user_id=answer.owner_id,
                session_id=answer.session_id,
                message_id=answer.id,
                topic_id=topic_id,
                mode=answer.mode,
                model=answer.model,
                # The turn announces its messages on sessionEvents before its first
                # event, even if this request is cancelled right after launching it.
                announce=tuple(row.id for row in (turn.user_message, answer) if row is not None),
            )
        )
    return SendMessagePayload(
        user_message=Message.from_row(turn.user_message) if turn.user_message else None,
        assistant_message=Message.from_row(answer),
    )


async def _create_turn(context: Context, owner_id: int, session_id: int, input):
    async with unit_of_work(context.session_factory) as session:
        study_session = await study_sessions.get_study_session(
            session, owner_id=owner_id, session_id=session_id
        )
        turn = await turns.create_turn(
            session,
            study_session=study_session,
            content=input.content,
            client_message_id=input.client_message_id,
            mode=input.mode.value if input.mode else study_session.mode,
            model=context.models.check(input.model or study_session.model),
            now=context.clock(),
            lease_seconds=_lease(context),
            daily_token_budget=context.daily_token_budget,
            max_running_answers=context.max_running_answers,
        )
        return turn, study_session.topic_id


def _lease(context: Context) -> float:
    return context.generations.settings.lease_seconds


@strawberry.type
class ChatMutations:
    @strawberry.mutation(
        description="Stores the user message, then starts the tutor's answer; returns at once."
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        context = info.context
        owner_id = context.require_user_id()
        session_id = row_id_of(input.session_id, "StudySession", field="sessionId")
        try:
            turn, topic_id = await _create_turn(context, owner_id, session_id, input)
        except turns.ClientMessageRace:
            # A concurrent retry with the same key won: answer with its turn.
            async with unit_of_work(context.session_factory) as session:
                turn = await turns.replay_turn(
                    session,
                    session_id=session_id,
                    client_message_id=input.client_message_id,
                    content=input.content,
                )
            return await _start(context, turn, None)
        return await _start(context, turn, topic_id)

    @strawberry.mutation(
        description="Asks the tutor to go deeper on one of its answers (a new assistant message)."
    )
    async def give_more_info(self, info: Info, message_id: strawberry.ID) -> SendMessagePayload:
        return await _follow_up(info.context, message_id, regenerate=False, model=None)

    @strawberry.mutation(
        description="A new answer to the same user message: a sibling branch of messageId."
    )
    async def regenerate_message(
        self, info: Info, message_id: strawberry.ID, model: str | None = None
    ) -> SendMessagePayload:
        return await _follow_up(info.context, message_id, regenerate=True, model=model)

    @strawberry.mutation(
        description="Stops the model and its tools on whichever server runs them; keeps the "
        "partial text."
    )
    async def stop_generation(self, info: Info, message_id: strawberry.ID) -> Message:
        context = info.context
        owner_id = context.require_user_id()
        row_id = row_id_of(message_id, "Message", field="messageId")
        async with unit_of_work(context.session_factory) as session:
            row = await turns.get_message(session, owner_id=owner_id, message_id=row_id)
        if row.role != turns.ASSISTANT:
            raise BadUserInput("only the tutor's answers can be stopped", field="messageId")
        if row.status in turns.RUNNING_STATUSES:
            row = await context.generations.stop(row)
        return Message.from_row(row)


async def _follow_up(
    context: Context, message_id: strawberry.ID, *, regenerate: bool, model: str | None
) -> SendMessagePayload:
    owner_id = context.require_user_id()
    row_id = row_id_of(message_id, "Message", field="messageId")
    async with unit_of_work(context.session_factory) as session:
        turn = await turns.create_follow_up(
            session,
            owner_id=owner_id,
            message_id=row_id,
            regenerate=regenerate,
            model=context.models.check(model) if model else None,
            now=context.clock(),
            lease_seconds=_lease(context),
            daily_token_budget=context.daily_token_budget,
            max_running_answers=context.max_running_answers,
        )
        study_session = await study_sessions.get_study_session(
            session, owner_id=owner_id, session_id=turn.assistant_message.session_id
        )
        topic_id = study_session.topic_id
    return await _start(context, turn, topic_id)
