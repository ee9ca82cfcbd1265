"""SOCRATIC: hints toward the passage that answers, then the learner's replies compared
with it (what is right, what is missing, the next hint); after three tries, the answer.

Each hint ends with a line naming the try and the question being worked on; the next
turn reads it back from the conversation (the only memory a model has).
"""

import re

from tutor.offline.reading import TurnInput
from tutor.offline.selection import answering, subject_terms
from tutor.offline.wording import OFFLINE_NOTE, not_covered, source_label
from tutor.text import Passage, Sentence, stem, surface_terms, terms

MAX_TRIES = 3
_THREAD = re.compile(r"\(Socratic try (\d+) of \d+ on: “(.+?)”\)")


def open_thread(turn: TurnInput) -> tuple[int, str] | None:
    """(tries so far, the question) when the learner is replying to a hint, else None."""
    match = _THREAD.search(turn.previous_answer)
    if not match:
        return None
    tries, question = int(match.group(1)), match.group(2)
    reply = turn.question.strip()
    # A new question of its own (asked, and about something else) starts a new thread.
    if reply.endswith("?") and not set(subject_terms(reply)) & set(subject_terms(question)):
        return None
    return tries, question


def socratic(turn: TurnInput, topic: str | None, passages: list[Passage]) -> str:
    """The SOCRATIC answer of the turn (see the module docstring)."""
    thread = open_thread(turn)
    question = thread[1] if thread else turn.question
    found = answering(question, passages, limit=1, meaning=turn.meaning)
    if not found:
        return not_covered(question, passages, topic)
    if thread is None:
        return _first_hint(question, found[0])
    return _feedback(turn.question, question, found[0], tries=thread[0])


def _first_hint(question: str, answer: Sentence) -> str:
    # Point at the passage that holds the answer, never quote the answer itself.
    clues = _key_terms(question, answer)
    lines = [
        "Let's work it out together rather than me telling you.",
        "",
        f"Hint 1: look at {source_label(answer.passage)}; the answer is in it.",
    ]
    if clues:
        lines.append(f"Hint 2: notice what it says about “{clues[0]}”.")
    subject = " ".join(subject_terms(question)[:3]) or "this"
    lines.extend(
        [
            "",
            f"Guiding question: in your own words, what does [{answer.passage.number}] "
            f"say about {subject}, and why would that be?",
            _thread_line(1, question),
        ]
    )
    return "\n".join(lines)


def _feedback(reply: str, question: str, answer: Sentence, *, tries: int) -> str:
    key = _key_terms(question, answer)
    given = set(terms(reply))
    right = [word for word in key if stem(word) in given]
    missing = [word for word in key if stem(word) not in given]
    number = answer.passage.number
    if key and len(right) * 2 >= len(key):
        return "\n".join(
            [
                "You're on track: you have " + _listed(right) + ".",
                f"Your material puts it this way: “{answer.text}” [{number}]",
                f"(Checked against your material by {OFFLINE_NOTE}.)",
            ]
        )
    lines = ["What you have right: " + (_listed(right) if right else "not yet the key idea") + "."]
    if tries >= MAX_TRIES:
        lines += [
            f"After {tries} tries, here is the answer from {source_label(answer.passage)}:",
            f"> “{answer.text}” [{number}]",
            "What you were missing: " + _listed(missing) + ".",
        ]
        return "\n".join(lines)
    hint = missing[min(tries, len(missing) - 1)] if missing else None
    lines.append(f"What is missing: what [{number}] says about " + _listed(missing[:1]) + ".")
    if hint and hint != missing[0]:
        lines.append(f"Next hint: it also mentions “{hint}”.")
    lines.extend(["Try again in your own words.", _thread_line(tries + 1, question)])
    return "\n".join(lines)


def _key_terms(question: str, answer: Sentence) -> list[str]:
    """The words of the answer that the question does not already give away."""
    asked = set(terms(question))
    fresh = [
        word for word in surface_terms(answer.text) if stem(word) not in asked and len(word) > 4
    ]
    # Long words carry the idea ("innermost", "enclosing"); short ones ("like") rarely do.
    return sorted(fresh, key=lambda word: (-len(word), fresh.index(word)))[:4]


def _listed(words: list[str]) -> str:
    return ", ".join(f"“{word}”" for word in words) if words else "nothing more"


def _thread_line(tries: int, question: str) -> str:
    return f"(Socratic try {tries} of {MAX_TRIES} on: “{question}”)"
