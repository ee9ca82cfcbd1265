"""The offline tutor's Model interface without a database: plans, stream events, usage."""

import json

from agents import ModelSettings, ModelTracing
from openai.types.responses import ResponseFunctionToolCall

from tutor.agent import instructions_for
from tutor.offline import CARD_QUESTION, LOCAL_MODEL_ID, LocalTutorModel

TOOLS = ("get_topic_overview", "search_material", "next_quiz_card", "record_quiz_answer")
PASSAGES = (
    "Passages from the learner's material.\n"
    '<passage n="1" source="loops.md">The break statement leaves the innermost loop at once. '
    "The continue statement skips to the next iteration of the loop.</passage>"
)
OVERVIEW = json.dumps({"topic": {"id": 1, "title": "Python loops"}, "progress": None})


class Tool:
    def __init__(self, name: str) -> None:
        self.name = name


def conversation(question: str, *tool_results: tuple[str, str], before=()) -> list[dict]:
    items = [*before, {"role": "user", "content": question}]
    for number, (name, output) in enumerate(tool_results):
        items.append({"type": "function_call", "call_id": f"c{number}", "name": name})
        items.append({"type": "function_call_output", "call_id": f"c{number}", "output": output})
    return items


async def respond(mode: str, items: list[dict]):
    return await LocalTutorModel().get_response(
        instructions_for(mode), items, ModelSettings(), [Tool(n) for n in TOOLS], None, [],
        ModelTracing.DISABLED,
    )  # fmt: skip


async def stream(mode: str, items: list[dict]) -> list:
    events = LocalTutorModel().stream_response(
        instructions_for(mode), items, ModelSettings(), [Tool(n) for n in TOOLS], None, [],
        ModelTracing.DISABLED,
    )  # fmt: skip
    return [event async for event in events]


def planned(response) -> list[tuple[str, dict]]:
    assert all(isinstance(item, ResponseFunctionToolCall) for item in response.output)
    return [(item.name, json.loads(item.arguments)) for item in response.output]


async def test_a_reply_to_a_flashcard_is_recorded_before_the_next_card_is_asked():
    asked = {"role": "assistant", "content": f"{CARD_QUESTION} What leaves a loop?\nReply."}
    items = conversation("break", before=[{"role": "user", "content": "quiz me"}, asked])
    response = await respond("QUIZ", items)
    assert planned(response) == [
        ("get_topic_overview", {}),
        ("record_quiz_answer", {"answer": "break"}),
        ("next_quiz_card", {}),
    ]
    assert [item.call_id for item in response.output] == [
        "call_local_0_get_topic_overview",
        "call_local_1_record_quiz_answer",
        "call_local_2_next_quiz_card",
    ]


async def test_a_short_request_is_searched_with_the_topic_title():
    items = conversation("summarise", ("get_topic_overview", OVERVIEW))
    response = await respond("SUMMARIZE", items)
    assert planned(response) == [("search_material", {"query": "Python loops summarise"})]
    assert response.output[0].id == "fc_local_1"


async def test_the_stream_carries_exactly_the_answer_of_get_response():
    items = conversation(
        "What does the break statement do?",
        ("get_topic_overview", OVERVIEW),
        ("search_material", PASSAGES),
    )
    answer = (await respond("EXPLAIN", items)).output[0].content[0].text
    assert "“The break statement leaves the innermost loop at once.” [1]" in answer
    events = await stream("EXPLAIN", items)
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert (events[0].type, events[-1].type) == ("response.created", "response.completed")
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == answer and len(deltas) == len(answer.split())
    completed = events[-1].response
    assert completed.model == LOCAL_MODEL_ID
    assert completed.output[0].content[0].text == answer
    # Usage is approximate: four tokens for every three words.
    produced = len(answer.split())
    assert completed.usage.output_tokens == (produced * 4 + 2) // 3
    assert completed.usage.total_tokens == (
        completed.usage.input_tokens + completed.usage.output_tokens
    )


async def test_tool_calls_stream_their_arguments_in_one_delta():
    events = await stream("EXPLAIN", conversation("What does break do?"))
    kinds = [event.type for event in events]
    assert kinds[:5] == [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    assert events[-1].response.output[0].name == "get_topic_overview"
