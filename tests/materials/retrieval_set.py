"""The labelled retrieval questions (tests/data/retrieval/questions.json) and how to score them.

Shared by bench/retrieval.py, the retrieval floor tests and the tutor's evaluation: one
set, one definition of "this passage answers that question".
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "retrieval" / "questions.json"
MATERIALS = [
    "tutorial-controlflow.md",
    "tutorial-datastructures.md",
    "tutorial-errors.md",
    "tutorial-classes.md",
    "tutorial-modules.pdf",
]

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    material: str  # filename in tests/data
    answer: str  # a substring of the answering passage
    fact: str = ""
    split: str = ""  # "tune" or "holdout" for paraphrased questions


def load_questions(kind: str) -> list[Question]:
    """`paraphrased` or `keyword_close` questions, in file order."""
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [Question(**item) for item in data[kind]]


def load_outside_questions() -> list[str]:
    """Questions the sample material does not cover."""
    return json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))["outside"]


def squeeze(text: str) -> str:
    """Runs of whitespace as one space (PDF text keeps double spaces between words)."""
    return _SPACE.sub(" ", text)


def answers(question: Question, filename: str, quote: str) -> bool:
    """Whether a passage (its material's filename and text) answers the question."""
    return filename == question.material and squeeze(question.answer) in squeeze(quote)


def rank_of_answer(question: Question, hits: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first (filename, quote) hit that answers, None when none does."""
    return next(
        (rank for rank, hit in enumerate(hits, 1) if answers(question, *hit)),
        None,
    )
