"""Talking to the tutor: send, go deeper, regenerate, stop."""

import strawberry

from schema.chat.types import Message, SendMessageInput, SendMessagePayload
from schema.context import Context, Info
from schema.relay import row_id_of
from tutor.stream import start, stop
from tutor.stream.start import TurnLimits


def _limits(context: Context) -> TurnLimits:
    return TurnLimits(
        daily_token_budget=context.daily_token_budget,
        max_running_answers=context.max_running_answers,
    )


@strawberry.type
class ChatMutations:
    @strawberry.mutation(
        description="Stores the user message, then starts the tutor's answer; returns at once."
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        context = info.context
        turn = await start.send_message(
            context.generations,
            owner_id=context.require_user_id(),
            session_id=row_id_of(input.session_id, "StudySession", field="sessionId"),
            content=input.content,
            client_message_id=input.client_message_id,
            mode=input.mode.value if input.mode else None,
            model=input.model,
            limits=_limits(context),
        )
        return SendMessagePayload.from_turn(turn)

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
        row = await stop.stop_answer(
            context.generations,
            owner_id=context.require_user_id(),
            message_id=row_id_of(message_id, "Message", field="messageId"),
        )
        return Message.from_row(row)


async def _follow_up(
    context: Context, message_id: strawberry.ID, *, regenerate: bool, model: str | None
) -> SendMessagePayload:
    turn = await start.follow_up(
        context.generations,
        owner_id=context.require_user_id(),
        message_id=row_id_of(message_id, "Message", field="messageId"),
        regenerate=regenerate,
        model=model,
        limits=_limits(context),
    )
    return SendMessagePayload.from_turn(turn)
