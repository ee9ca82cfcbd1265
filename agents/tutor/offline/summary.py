"""SUMMARIZE: the passages of the document the request is about, in the document's order,
grouped by section, with the key sentences of each section (its opening, which usually
defines, and the one closest to the request), so the summary follows the thread of the
material instead of mixing chapters."""

from tutor.offline.selection import scored_sentences
from tutor.offline.wording import OFFLINE_NOTE, not_covered
from tutor.text import Passage, Sentence, sentences_of

MAX_SECTIONS = 6
PER_SECTION = 2
# Below this share of the request's words, the passages are not about it at all.
ABOUT_SHARE = 0.25


def summary(
    question: str, topic: str | None, passages: list[Passage], meaning: dict[str, float]
) -> str:
    """The SUMMARIZE answer (see the module docstring)."""
    scored = scored_sentences(question, passages, meaning)
    if scored and scored[0].score < ABOUT_SHARE:
        return not_covered(question, passages, topic)
    relevance = {(s.sentence.passage.number, s.sentence.position): s.score for s in scored}
    document = _main_document(passages, relevance)
    kept = [p for p in passages if _document_order(p)[0] == document]
    lines = [f"Summary of {document}, section by section, in the document's order:", ""]
    for title, sentences in _sections(kept)[:MAX_SECTIONS]:
        picked = _key_sentences(sentences, relevance)
        lines.append(f"**{title}**")
        lines.extend(f"- “{s.text}” [{s.passage.number}]" for s in picked)
        lines.append("")
    lines.append(f"(Key sentences quoted by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _main_document(passages: list[Passage], relevance: dict[tuple[int, int], float]) -> str:
    """The file whose passages are most about the request (best sentence, then count)."""
    best: dict[str, tuple[float, int]] = {}
    for passage in passages:
        name = _document_order(passage)[0]
        top = max(
            (score for (number, _), score in relevance.items() if number == passage.number),
            default=0.0,
        )
        score, count = best.get(name, (0.0, 0))
        best[name] = (max(score, top), count + 1)
    return max(best, key=lambda name: (best[name], -min(
        p.number for p in passages if _document_order(p)[0] == name
    )))  # fmt: skip


def _document_order(passage: Passage) -> tuple[str, int, int]:
    name, _, page = passage.source.partition(", p. ")
    return name, int(page) if page.isdigit() else 0, passage.start


def _sections(passages: list[Passage]) -> list[tuple[str, list[Sentence]]]:
    """(section title, its sentences) in document order; a passage that starts under a
    heading it does not show continues the section before it in the same file."""
    sections: list[tuple[str, list[Sentence]]] = []
    current: dict[str, str] = {}  # file -> the section title last seen in it
    for passage in sorted(passages, key=_document_order):
        name = _document_order(passage)[0]
        for sentence in sentences_of(passage):
            title = sentence.section or current.get(name) or f"From {passage.source}"
            current[name] = title
            if not sections or sections[-1][0] != title:
                sections.append((title, []))
            sections[-1][1].append(sentence)
    return [(title, sentences) for title, sentences in sections if sentences]


def _key_sentences(
    sentences: list[Sentence], relevance: dict[tuple[int, int], float]
) -> list[Sentence]:
    opening = sentences[0]
    rest = sorted(sentences[1:], key=lambda s: -relevance.get((s.passage.number, s.position), 0.0))
    picked = [opening, *rest[: PER_SECTION - 1]]
    return sorted(picked, key=lambda s: (_document_order(s.passage), s.position))
