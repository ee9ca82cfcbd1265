"""Which citations an answer stores: exactly the passages its text cites, checked verbatim.

During a turn, search_material numbers every passage it shows the model ([1], [2]...
in the order first shown). The answer cites some of them with `[n]` markers; the others
were only read. A UI listing a message's citations must show what the answer rests on,
so the stored list keeps only the passages whose marker appears in the final text, each
with its `marker`, whatever the provider (the offline tutor or a real model).

The stored `quote` is always text of the material: the chunk as stored, or, when the
answer quotes a sentence of it (“...” [n]), that sentence, narrowed to its own offsets
after checking it is in the chunk word for word. A quote the answer attributes to [n]
that [n] does not contain is never stored.
"""

import re
from typing import Any

# [3], or the [1][2] / [1, 2] forms models also write.
_MARKER_GROUP = re.compile(r"\[(\d+(?:\s*(?:,|\]\s*\[)\s*\d+)*)\]")
# A quote the answer attributes to one passage: “…” [n] or "…" [n].
# The quote may itself hold quoted words (“dotted module names”): it ends at the closing
# mark right before the marker, within one line.
_ATTRIBUTED_QUOTE = re.compile(r'(?:“([^\n]{8,}?)”|"([^"\n]{8,}?)")[ \t]*\[(\d+)\]')
# Characters an answer may drop or change when it quotes: markdown marks, and between
# words also quote marks and pilcrows.
_IGNORED = "`*_"
_GAP = "[\\s" + re.escape(_IGNORED + "\"'\u201c\u201d\u2018\u2019\u00b6>") + "]*"


# Code the answer shows (a fenced block, an inline span): `[[1, 5, 9], [2, 6, 10]]` is a
# list in a code sample's output, not a citation of passages 1, 5 and 9.
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)


def cited_markers(text: str) -> list[int]:
    """The passage numbers the text cites, in order of first citation, without repeats
    (brackets inside code are not citations)."""
    seen: dict[int, None] = {}
    for group in _MARKER_GROUP.findall(_CODE.sub(" ", text or "")):
        for number in re.findall(r"\d+", group):
            seen.setdefault(int(number), None)
    return list(seen)


def citations_to_store(text: str, shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citations of the passages the answer cites (see the module docstring).

    `shown[n - 1]` is the passage the turn numbered n. Markers that name no passage
    (a model's invention) store nothing.
    """
    stored = []
    quotes = _attributed_quotes(text)
    for marker in sorted(cited_markers(text)):
        if not 1 <= marker <= len(shown):
            continue
        citation = dict(shown[marker - 1])
        citation["marker"] = marker
        narrowed = _narrow(citation, quotes.get(marker, []))
        stored.append(narrowed or citation)
    return stored


def _attributed_quotes(text: str) -> dict[int, list[str]]:
    quotes: dict[int, list[str]] = {}
    for curly, straight, marker in _ATTRIBUTED_QUOTE.findall(text or ""):
        quotes.setdefault(int(marker), []).append(curly or straight)
    return quotes


def _narrow(citation: dict[str, Any], quotes: list[str]) -> dict[str, Any] | None:
    """The citation narrowed to the span of the chunk its quotes cover, if every quote is
    found in the chunk word for word; None to keep the whole chunk."""
    chunk = str(citation.get("quote") or "")
    spans = [find_verbatim(chunk, quote) for quote in quotes]
    if not spans or any(span is None for span in spans):
        return None
    start = min(span[0] for span in spans if span)
    end = max(span[1] for span in spans if span)
    base = int(citation.get("start_offset") or 0)
    return {
        **citation,
        "quote": chunk[start:end],
        "start_offset": base + start,
        "end_offset": base + end,
    }


def find_verbatim(chunk: str, quote: str) -> tuple[int, int] | None:
    """Where the quote's words are in the chunk, in order and adjacent (whitespace, line
    breaks, code indentation and markdown emphasis may differ); None when they are not."""
    words = [_bare(word) for word in quote.split()]
    words = [word for word in words if word]
    if not words:
        return None
    pattern = _GAP.join(_loose(word) for word in words)
    match = re.search(pattern, chunk)
    return (match.start(), match.end()) if match else None


def _bare(word: str) -> str:
    return word.strip(_IGNORED + "“”\"'").replace("¶", "")


def _loose(word: str) -> str:
    # Inside a word, markdown marks may come and go: `print()` quoted as print().
    return f"[{re.escape(_IGNORED)}]*".join(re.escape(char) for char in word)
