"""The offline tutor's fixed phrases: its name, its question headers, how it names a source.

The question headers are also how the next turn recognises what was asked last
(the conversation is all the model sees), so they are part of its behaviour.
"""

from tutor.text import Passage, Sentence, code_after, sentences_of

LOCAL_MODEL_ID = "local:tutor"
LOCAL_MODEL_DESCRIPTION = "Offline study tutor (extractive, no LLM)"
OFFLINE_NOTE = "studygraph's offline tutor (it quotes your material, it is not a language model)"
NOT_COVERED = "Your material doesn't cover this"

CARD_QUESTION = "Question (flashcard):"
CLOZE_QUESTION = "Question (fill in the blank, from your material):"
BLANK = "_____"


def source_label(passage: Passage) -> str:
    """A passage as the answer names it: its marker and where it comes from."""
    return f"[{passage.number}] ({passage.source})"


def quoted_lines(sentences: list[Sentence], *, with_code: bool) -> list[str]:
    """Each sentence as a quote with its marker, then the code it introduces, if any."""
    lines = []
    for sentence in sentences:
        lines.append(f"> “{sentence.text}” [{sentence.passage.number}]")
        lines.append("")
        code = code_after(sentence) if with_code else None
        if code:
            lines.extend(["```python", code, "```", ""])
    return lines


def not_covered(question: str, passages: list[Passage], topic: str | None) -> str:
    """The plain answer to a question the material does not answer: no quote, and what the
    material does cover instead."""
    where = f" on {topic}" if topic else ""
    lines = [f"{NOT_COVERED}: nothing in your material{where} answers “{question}”."]
    sections = _sections_shown(passages)
    if sections:
        lines.append("What it does cover includes: " + "; ".join(sections) + ".")
    lines.append(
        "Upload notes or a chapter that covers it, or ask about something your material covers."
    )
    lines.append(f"(Answered by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _sections_shown(passages: list[Passage]) -> list[str]:
    named: dict[str, None] = {}
    for passage in passages:
        for sentence in sentences_of(passage):
            if sentence.section:
                named.setdefault(sentence.section, None)
    if not named:
        named = dict.fromkeys(p.source for p in passages)
    return list(named)[:4]
