"""Driving chat through the schema: send, subscribe, wait."""

import asyncio

from tests.factories import make_session, make_user
from tutor.offline import LocalTutorModel
from tutor.providers import ModelCatalog

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    userMessage { id content status role parent { id } }
    assistantMessage { id status role model parent { id } }
  }
}"""

EVENT_FIELDS = """
  __typename seq messageId
  ... on MessageDelta { delta }
  ... on ToolCallEvent { toolCall { callId name status output } }
  ... on MessageSnapshot { message { content status } }
  ... on MessageCompleted { message { content status usage { inputTokens outputTokens } } }
  ... on MessageCancelled { message { content status } }
  ... on MessageFailed { code retryable message { content status errorCode } }
  ... on MessageAdded { message { id role } }
"""

MESSAGE_EVENTS = (
    "subscription Events($id: ID!, $after: Int) {"
    " messageEvents(messageId: $id, afterSeq: $after) {" + EVENT_FIELDS + "} }"
)
SESSION_EVENTS = (
    "subscription Session($id: ID!) { sessionEvents(sessionId: $id) {" + EVENT_FIELDS + "} }"
)
MESSAGE = """
query Message($id: ID!) {
  message(id: $id) { id content status errorCode role citations { quote } toolCalls { name } }
}"""


class PacedCatalog(ModelCatalog):
    """The offline tutor, slowed to `delay` seconds a word so a test can act mid-answer."""

    def __init__(self, delay: float) -> None:
        super().__init__(default_model="local:tutor", providers={}, request_timeout_seconds=5)
        self.delay = delay

    def model_for(self, name: str):
        self.check(name)
        return LocalTutorModel(word_delay_seconds=self.delay)


def pace(harness, delay: float) -> None:
    """Make the harness's tutor answer slowly."""
    catalog = PacedCatalog(delay)
    harness.models = catalog
    harness.generations.catalog = catalog


async def learner_with_session(harness, **session_fields):
    me = await make_user(harness)
    study_session = await make_session(harness, owner_id=me.user.id, **session_fields)
    return me.user.id, study_session


async def send(harness, user_id: int, session_global_id: str, content: str, **extra) -> dict:
    data = await harness.data(
        SEND,
        {"input": {"sessionId": session_global_id, "content": content, **extra}},
        user_id=user_id,
    )
    return data["sendMessage"]


async def subscribe(harness, user_id: int, query: str, variables: dict):
    """The subscription's async iterator of results (errors are the test's to check)."""
    return await harness.schema.subscribe(
        query, variable_values=variables, context_value=harness.context(user_id)
    )


async def collect(harness, user_id: int, message_id: str, after: int = 0, *, limit=None):
    """messageEvents until it completes (or `limit` events), within 30 seconds."""
    events = []
    stream = await subscribe(harness, user_id, MESSAGE_EVENTS, {"id": message_id, "after": after})
    async with asyncio.timeout(30):
        async for result in stream:
            assert result.errors is None, result.errors
            events.append(result.data["messageEvents"])
            if limit is not None and len(events) >= limit:
                await stream.aclose()
                break
    return events


async def until(predicate, *, seconds: float = 20.0) -> None:
    """Polls an async predicate (as a client polls the API) until it holds."""
    async with asyncio.timeout(seconds):
        while not await predicate():  # noqa: ASYNC110 - polling the API as a client would
            await asyncio.sleep(0.02)


async def read_message(harness, user_id: int, message_id: str) -> dict:
    return (await harness.data(MESSAGE, {"id": message_id}, user_id=user_id))["message"]


async def wait_for_status(harness, user_id, message_id, statuses, *, seconds=30) -> dict:
    async with asyncio.timeout(seconds):
        while True:
            message = await read_message(harness, user_id, message_id)
            if message["status"] in statuses:
                return message
            await asyncio.sleep(0.05)


def text_of(events: list[dict]) -> str:
    """The answer a client rebuilds from events: snapshots replace, deltas append."""
    text = ""
    for event in events:
        if event["__typename"] == "MessageSnapshot":
            text = event["message"]["content"]
        elif event["__typename"] == "MessageDelta":
            text += event["delta"]
    return text


def assert_exactly_once_in_order(events: list[dict], *, after: int = 0) -> None:
    """Each event is the next seq; only a MessageSnapshot (standing for all before it)
    may move forward past events the client never needed to see one by one."""
    cursor = after
    for event in events:
        if event["__typename"] == "MessageSnapshot":
            assert event["seq"] > cursor, (cursor, event)
        else:
            assert event["seq"] == cursor + 1, (cursor, event)
        cursor = event["seq"]
