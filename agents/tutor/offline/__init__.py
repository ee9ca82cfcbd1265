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

One job per module: `model` (the SDK adapter), `reading` (what a call knows),
`planning` (which tools to call next), `modes` and `quiz` (the answer of each mode),
`selection` (which sentences to quote), `wording` (fixed phrases), `stream` (SDK events).
"""

from tutor.offline.wording import (
    CARD_QUESTION,
    CLOZE_QUESTION,
    LOCAL_MODEL_DESCRIPTION,
    LOCAL_MODEL_ID,
)

__all__ = [
    "CARD_QUESTION",
    "CLOZE_QUESTION",
    "LOCAL_MODEL_DESCRIPTION",
    "LOCAL_MODEL_ID",
    "LocalTutorModel",
]


def __getattr__(name: str):
    # The model subclasses the Agents SDK's Model, which takes seconds to import:
    # loaded when first asked for, so importing the wording alone stays cheap.
    if name == "LocalTutorModel":
        from tutor.offline.model import LocalTutorModel

        return LocalTutorModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
