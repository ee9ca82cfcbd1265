"""`local:tutor`: an offline, deterministic tutor behind the Agents SDK's Model interface.

It is not a language model. It does what a grounded tutor does with the same tools a
real model gets: reads the topic and progress, searches the learner's material, quizzes
on their flashcards, then answers FROM the tool outputs by quoting the most relevant
sentences with [n] citation markers (extractive), asking cloze questions built from a
passage, or giving Socratic hints that point at a passage without quoting the answer.
Text inside passages is only ever quoted, never acted on. No network, no randomness:
the same input gives the same output, streamed one word per text delta.

Token usage is APPROXIMATE (words * 4 / 3, the usual English ratio) so that daily
budgets also work offline.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Usage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from tutor.text import (
    Passage,
    Sentence,
    key_term,
    parse_passages,
    rank_sentences,
    sentences_of,
    stem,
    terms,
    words_with_spaces,
)

LOCAL_MODEL_ID = "local:tutor"
LOCAL_MODEL_DESCRIPTION = "Offline study tutor (extractive, no LLM)"
OFFLINE_NOTE = "studygraph's offline tutor (it quotes your material, it is not a language model)"

CARD_QUESTION = "Question (flashcard):"
CLOZE_QUESTION = "Question (fill in the blank, from your material):"
BLANK = "_____"
_MODE = re.compile(r"Mode (EXPLAIN|QUIZ|SOCRATIC|SUMMARIZE):")


@dataclass
class _Turn:
    """What the model knows at one call: the conversation and this turn's tool results."""

    mode: str
    question: str
    previous_answer: str
    available: set[str]
    outputs: dict[str, str] = field(default_factory=dict)  # tool name -> latest output
    calls_so_far: int = 0


class LocalTutorModel(Model):
    """The offline default model (see the module docstring)."""

    def __init__(self, *, word_delay_seconds: float = 0.0) -> None:
        # A pause between streamed words, for demos and tests of live streaming.
        self.word_delay_seconds = word_delay_seconds

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: Any = None,
    ) -> ModelResponse:
        output, usage = self._respond(system_instructions, input, tools)
        return ModelResponse(output=output, usage=usage, response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: Any = None,
    ) -> AsyncIterator[Any]:
        output, usage = self._respond(system_instructions, input, tools)
        counter = iter(range(1_000_000))
        yield ResponseCreatedEvent(
            type="response.created",
            response=_response([], None, status="in_progress"),
            sequence_number=next(counter),
        )
        for index, item in enumerate(output):
            if isinstance(item, ResponseFunctionToolCall):
                for event in _function_call_events(item, index, counter):
                    yield event
            else:
                async for event in self._message_events(item, index, counter):
                    yield event
        # The SDK takes the turn's output and usage from this event alone.
        yield ResponseCompletedEvent(
            type="response.completed",
            response=_response(output, usage),
            sequence_number=next(counter),
        )

    async def _message_events(
        self, item: ResponseOutputMessage, index: int, counter
    ) -> AsyncIterator[Any]:
        text = item.content[0].text
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"content": [], "status": "in_progress"}),
            output_index=index,
            sequence_number=next(counter),
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=item.id,
            output_index=index,
            content_index=0,
            part=ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[]),
            sequence_number=next(counter),
        )
        for word in words_with_spaces(text):
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item.id,
                output_index=index,
                content_index=0,
                delta=word,
                logprobs=[],
                sequence_number=next(counter),
            )
            # Always yield to the loop: a cancel (stopGeneration) lands between words.
            await asyncio.sleep(self.word_delay_seconds)
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item.id,
            output_index=index,
            content_index=0,
            text=text,
            logprobs=[],
            sequence_number=next(counter),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item.id,
            output_index=index,
            content_index=0,
            part=item.content[0],
            sequence_number=next(counter),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=next(counter),
        )

    def _respond(
        self, instructions: str | None, input: str | list[Any], tools: list[Any]
    ) -> tuple[list[Any], Usage]:
        turn = _read_turn(instructions or "", input, {tool.name for tool in tools})
        calls = _next_tool_calls(turn)
        output: list[Any]
        if calls:
            output = [
                ResponseFunctionToolCall(
                    id=f"fc_local_{turn.calls_so_far + i}",
                    call_id=f"call_local_{turn.calls_so_far + i}_{name}",
                    type="function_call",
                    name=name,
                    arguments=json.dumps(arguments, sort_keys=True),
                    status="completed",
                )
                for i, (name, arguments) in enumerate(calls)
            ]
            produced = " ".join(call.arguments for call in output)
        else:
            text = _answer(turn)
            output = [
                ResponseOutputMessage(
                    id=f"msg_local_{turn.calls_so_far}",
                    type="message",
                    role="assistant",
                    status="completed",
                    content=[
                        ResponseOutputText(
                            type="output_text", text=text, annotations=[], logprobs=[]
                        )
                    ],
                )
            ]
            produced = text
        consumed = (instructions or "") + " " + json.dumps(input, default=str)
        return output, _usage(consumed, produced)


# ------------------------------------------------------------------ reading the input


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else getattr(part, "text", "")
            for part in content
        )
    return ""


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    return item.model_dump() if hasattr(item, "model_dump") else {}


def _read_turn(instructions: str, input: str | list[Any], available: set[str]) -> _Turn:
    mode_match = _MODE.search(instructions)
    mode = mode_match.group(1) if mode_match else "EXPLAIN"
    items = [{"role": "user", "content": input}] if isinstance(input, str) else input
    items = [_as_dict(item) for item in items]
    last_user = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=-1)
    question = _text_of(items[last_user].get("content")) if last_user >= 0 else ""
    previous_answer = next(
        (
            _text_of(item.get("content"))
            for item in reversed(items[: max(last_user, 0)])
            if item.get("role") == "assistant"
        ),
        "",
    )
    turn = _Turn(
        mode=mode, question=question.strip(), previous_answer=previous_answer, available=available
    )
    names: dict[str, str] = {}
    for item in items[last_user + 1 :]:
        kind = item.get("type")
        if kind == "function_call":
            names[item.get("call_id", "")] = item.get("name", "")
            turn.calls_so_far += 1
        elif kind == "function_call_output":
            name = names.get(item.get("call_id", ""), "")
            turn.outputs[name] = _text_of(item.get("output"))
    return turn


# ------------------------------------------------------------------ deciding what to call


def _next_tool_calls(turn: _Turn) -> list[tuple[str, dict[str, Any]]]:
    """The tools a careful tutor calls next, or [] when it has what it needs to answer."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def want(name: str, arguments: dict[str, Any] | None = None) -> None:
        if name in turn.available and name not in turn.outputs:
            calls.append((name, arguments or {}))

    # Step 1: the topic, and in QUIZ mode the pending answer and the next card.
    if "get_topic_overview" in turn.available and "get_topic_overview" not in turn.outputs:
        want("get_topic_overview")
        if turn.mode == "QUIZ":
            if _asked_card_question(turn.previous_answer):
                want("record_quiz_answer", {"answer": turn.question})
            want("next_quiz_card")
        return calls
    # Step 2: the material, searched with the learner's words (or the topic's title).
    if turn.mode == "QUIZ" and not _needs_material_for_quiz(turn):
        return calls
    want("search_material", {"query": _search_query(turn)})
    return calls


def _asked_card_question(previous_answer: str) -> bool:
    return CARD_QUESTION in previous_answer


def _pending_cloze(previous_answer: str) -> str | None:
    if CLOZE_QUESTION not in previous_answer:
        return None
    line = previous_answer.split(CLOZE_QUESTION, 1)[1].strip().splitlines()[0]
    return line.strip() if BLANK in line else None


def _needs_material_for_quiz(turn: _Turn) -> bool:
    card = _json(turn.outputs.get("next_quiz_card"))
    return card.get("card_id") is None or _pending_cloze(turn.previous_answer) is not None


def _search_query(turn: _Turn) -> str:
    cloze = _pending_cloze(turn.previous_answer) if turn.mode == "QUIZ" else None
    if cloze:
        # Find the passage the question came from again, to grade the answer against it.
        return cloze.replace(BLANK, " ")
    query = turn.question
    if len(terms(query)) < 2:
        # "quiz me", "summarise": the topic's title says what about.
        topic = (_json(turn.outputs.get("get_topic_overview")).get("topic") or {}).get("title")
        query = f"{topic or ''} {query}".strip()
    return query


def _json(output: str | None) -> dict[str, Any]:
    try:
        value = json.loads(output or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------ answering


def _answer(turn: _Turn) -> str:
    overview = _json(turn.outputs.get("get_topic_overview"))
    topic = (overview.get("topic") or {}).get("title")
    passages = parse_passages(turn.outputs.get("search_material", ""))
    if turn.mode == "QUIZ":
        return _quiz(turn, topic, passages)
    if not passages:
        return _nothing_found(turn.question, topic)
    if turn.mode == "SOCRATIC":
        return _socratic(turn.question, passages)
    if turn.mode == "SUMMARIZE":
        return _summary(turn.question, topic, passages)
    return _explain(turn.question, topic, overview.get("progress"), passages)


def _nothing_found(question: str, topic: str | None) -> str:
    where = f" on {topic}" if topic else ""
    return (
        f"I am {OFFLINE_NOTE}, and I found nothing in your material{where} about "
        f"“{question}”. Upload notes or a chapter that covers it, or rephrase the question "
        "with the words your material uses."
    )


def _source(passage: Passage) -> str:
    return f"[{passage.number}] ({passage.source})"


def _explain(
    question: str, topic: str | None, progress: dict[str, Any] | None, passages: list[Passage]
) -> str:
    best = _top_sentences(question, passages, limit=3)
    lines = [f"Here is what your material{f' on {topic}' if topic else ''} says:", ""]
    for sentence in best:
        lines.append(f"> “{sentence.text}” [{sentence.passage.number}]")
        lines.append("")
    cited = sorted({s.passage.number: s.passage for s in best}.values(), key=lambda p: p.number)
    lines.append("Sources: " + "; ".join(f"[{p.number}] {p.source}" for p in cited) + ".")
    if progress and progress.get("cards_count"):
        lines.append(
            f"Your mastery of {topic or 'this topic'} is {round(100 * progress['mastery'])}% "
            f"with {progress['due_cards_count']} card(s) due: a QUIZ session will firm it up."
        )
    lines.append(f"(Answered by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _summary(question: str, topic: str | None, passages: list[Passage]) -> str:
    picked = []
    for passage in passages:
        ranked = rank_sentences(question, [passage])
        picked.extend(sentence for _, sentence in ranked[:2])
    picked.sort(key=lambda s: (s.passage.number, s.position))
    lines = [f"Summary of your material{f' on {topic}' if topic else ''}:", ""]
    lines.extend(f"- {sentence.text} [{sentence.passage.number}]" for sentence in picked[:6])
    lines.append("")
    lines.append(f"(Key sentences quoted by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _socratic(question: str, passages: list[Passage]) -> str:
    answer = _top_sentences(question, passages, limit=1)[0]
    asked = set(terms(question))
    # Terms of the answer the learner did not use: what to look for, not what it says.
    clues = [term for term in terms(answer.text) if term not in asked][:2]
    lines = [
        "Let's work it out together rather than me telling you.",
        "",
        f"Hint 1: look at {_source(answer.passage)}; the answer is in it.",
    ]
    if clues:
        lines.append(
            "Hint 2: notice what it says about " + " and ".join(f"“{c}”" for c in clues) + "."
        )
    subject = " ".join(sorted(asked)[:3]) or "this"
    lines.extend(
        [
            "",
            f"Guiding question: in your own words, what does [{answer.passage.number}] "
            f"say about {subject}, and why would that be?",
            "Reply with your answer and I will tell you whether you are on track.",
        ]
    )
    return "\n".join(lines)


def _quiz(turn: _Turn, topic: str | None, passages: list[Passage]) -> str:
    lines = _quiz_feedback(turn, passages)
    card = _json(turn.outputs.get("next_quiz_card"))
    if card.get("card_id") is not None:
        lines.append(f"{CARD_QUESTION} {card['front']}")
        lines.append("Reply with your answer; I will grade it and schedule the card.")
        return "\n".join(lines)
    question = _cloze(turn.question, passages)
    if question is None:
        lines.append(
            f"I am {OFFLINE_NOTE}. I found no flashcards and no material to quiz you on"
            f"{f' in {topic}' if topic else ''}: upload material or create cards first."
        )
        return "\n".join(lines)
    text, passage = question
    lines.append(f"{CLOZE_QUESTION} {text}")
    lines.append(f"(From {_source(passage)}. Reply with the missing word.)")
    return "\n".join(lines)


def _quiz_feedback(turn: _Turn, passages: list[Passage]) -> list[str]:
    recorded = _json(turn.outputs.get("record_quiz_answer"))
    if recorded.get("rating"):
        return [
            f"Your answer is rated {recorded['rating']}. The expected answer: "
            f"{recorded['correct_answer']}",
            f"Your mastery of this topic is now {round(100 * recorded['mastery'])}%.",
            "",
        ]
    cloze = _pending_cloze(turn.previous_answer)
    if cloze is None:
        return []
    missing = _missing_word(cloze, passages)
    if missing is None:
        return []
    given = {stem(word) for word in re.findall(r"\w+", turn.question)}
    verdict = "Correct!" if stem(missing) in given else "Not quite."
    return [f"{verdict} The missing word is “{missing}”.", ""]


def _cloze(question: str, passages: list[Passage]) -> tuple[str, Passage] | None:
    asked = set(terms(question))
    for _, sentence in rank_sentences(question, passages):
        words = len(sentence.text.split())
        if not 6 <= words <= 45:
            continue
        term = key_term(sentence.text, asked)
        if term:
            pattern = re.compile(rf"(?<![\w`]){re.escape(term)}(?![\w`])")
            blanked = pattern.sub(BLANK, sentence.text.replace("`", ""), count=1)
            return blanked, sentence.passage
    return None


def _missing_word(cloze: str, passages: list[Passage]) -> str | None:
    before, _, after = cloze.partition(BLANK)
    pattern = re.compile(re.escape(before) + r"(\w+)" + re.escape(after))
    for passage in passages:
        for sentence in sentences_of(passage):
            match = pattern.fullmatch(sentence.text.replace("`", ""))
            if match:
                return match.group(1)
    return None


def _top_sentences(question: str, passages: list[Passage], *, limit: int) -> list[Sentence]:
    ranked = [sentence for _, sentence in rank_sentences(question, passages)]
    if not ranked:
        # Passages with no prose sentence (a code listing): quote their opening instead.
        ranked = [Sentence(p, 0, " ".join(p.text.split()[:40])) for p in passages]
    return ranked[:limit]


# ------------------------------------------------------------------ SDK plumbing


def _approximate_tokens(text: str) -> int:
    return (len(text.split()) * 4 + 2) // 3


def _usage(consumed: str, produced: str) -> Usage:
    input_tokens = _approximate_tokens(consumed)
    output_tokens = _approximate_tokens(produced)
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


def _response(output: list[Any], usage: Usage | None, *, status: str = "completed") -> Response:
    return Response(
        id="resp_local",
        created_at=0,
        model=LOCAL_MODEL_ID,
        object="response",
        output=output,
        tool_choice="auto",
        tools=[],
        top_p=None,
        parallel_tool_calls=False,
        status=status,
        usage=None
        if usage is None
        else ResponseUsage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
            output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
        ),
    )


def _function_call_events(item: ResponseFunctionToolCall, index: int, counter) -> list[Any]:
    return [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=index,
            sequence_number=next(counter),
        ),
        ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item.id,
            output_index=index,
            delta=item.arguments,
            sequence_number=next(counter),
        ),
        ResponseFunctionCallArgumentsDoneEvent.model_validate(
            {
                "type": "response.function_call_arguments.done",
                "item_id": item.id,
                "output_index": index,
                "arguments": item.arguments,
                "name": item.name,
                "sequence_number": next(counter),
            }
        ),
        ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=next(counter),
        ),
    ]
