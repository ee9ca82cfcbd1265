"""What the offline tutor knows at one model call: the mode, the conversation, tool results."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from db.study.modes import TutorMode

_MODE = re.compile(r"Mode (EXPLAIN|QUIZ|SOCRATIC|SUMMARIZE):")


@dataclass
class TurnInput:
    """What the model knows at one call: the conversation and this turn's tool results."""

    mode: str
    question: str
    previous_answer: str
    available: set[str]
    outputs: dict[str, str] = field(default_factory=dict)  # tool name -> latest output
    calls_so_far: int = 0
    # The conversation before the question, oldest first: (role, text) pairs.
    history: list[tuple[str, str]] = field(default_factory=list)
    # Sentence text -> closeness in meaning to the question (offline.meaning); {} if unknown.
    meaning: dict[str, float] = field(default_factory=dict)


def read_turn(instructions: str, input: str | list[Any], available: set[str]) -> TurnInput:
    """The mode (from the instructions), the latest question, the answer before it, and
    the outputs of the tools called since that question."""
    mode_match = _MODE.search(instructions)
    mode = mode_match.group(1) if mode_match else TutorMode.EXPLAIN
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
    history = [
        (str(item["role"]), _text_of(item.get("content")))
        for item in items[: max(last_user, 0)]
        if item.get("role") in ("user", "assistant")
    ]
    turn = TurnInput(
        mode=mode,
        question=question.strip(),
        previous_answer=previous_answer,
        available=available,
        history=history,
    )
    _read_tool_results(turn, items[last_user + 1 :])
    return turn


def _read_tool_results(turn: TurnInput, items: list[dict[str, Any]]) -> None:
    names: dict[str, str] = {}
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            names[item.get("call_id", "")] = item.get("name", "")
            turn.calls_so_far += 1
        elif kind == "function_call_output":
            name = names.get(item.get("call_id", ""), "")
            turn.outputs[name] = _text_of(item.get("output"))


def json_object(output: str | None) -> dict[str, Any]:
    """A tool's JSON output as a dict; {} when it is missing or not a JSON object."""
    try:
        value = json.loads(output or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def topic_title(turn: TurnInput) -> str | None:
    """The session topic's title, as get_topic_overview reported it (None without one)."""
    return (json_object(turn.outputs.get("get_topic_overview")).get("topic") or {}).get("title")


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
