"""Follow-ups: "an example of that?", "why?", "more" continue the previous subject.

A question is a follow-up when every content word it has is a word of asking for more
(example, why, more, detail...): it names no subject of its own, so the subject is that
of the learner's last question that had one. The offline model sees the whole
conversation at each call, so this needs no state of its own.
"""

import re
from dataclasses import dataclass

from tutor.text import stem, terms

EXAMPLE_WORDS = frozenset(stem(w) for w in "example examples code sample snippet demo".split())
WHY_WORDS = frozenset(stem(w) for w in "why reason reasons".split())
_ASKING_FOR_MORE = (
    EXAMPLE_WORDS
    | WHY_WORDS
    | frozenset(
        stem(w)
        for w in """short shorter simple simpler more detail details again elaborate
        another continue go further clarify expand bit little tell something else
        that's thats okay ok thanks thank great yes""".split()
    )
)


@dataclass(frozen=True)
class FollowUp:
    """A follow-up: what it asks for (example | why | more) and about which question."""

    kind: str
    subject: str


def follow_up(question: str, history: list[tuple[str, str]]) -> FollowUp | None:
    """The follow-up a question is, or None when it names its own subject."""
    if not _asks_for_more(question):
        return None
    subject = next(
        (
            text
            for role, text in reversed(history)
            if role == "user" and not _asks_for_more(text) and terms(text)
        ),
        None,
    )
    if subject is None:
        return None
    asked = set(_words(question))
    kind = "example" if asked & EXAMPLE_WORDS else "why" if asked & WHY_WORDS else "more"
    return FollowUp(kind, subject)


def _asks_for_more(question: str) -> bool:
    words = set(_words(question))
    pointing = words & (_ASKING_FOR_MORE | {"that", "it", "this", "those"})
    return bool(pointing) and all(term in _ASKING_FOR_MORE for term in terms(question))


def _words(text: str) -> list[str]:
    return [stem(word) for word in re.findall(r"[a-z']+", text.lower())]
