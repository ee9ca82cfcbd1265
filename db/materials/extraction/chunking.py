"""Passages of about CHUNK_TARGET characters, with their offsets in the page's text."""

import re
from dataclasses import dataclass

from db.materials.extraction.pages import PageText


@dataclass(frozen=True)
class ChunkSpec:
    """A passage: its page and where it sits in that page's (or the document's) text."""

    page: int | None
    start_offset: int
    end_offset: int
    text: str


CHUNK_TARGET = 900
CHUNK_MAX = 1400


def chunk_pages(pages: list[PageText], *, target: int = CHUNK_TARGET) -> list[ChunkSpec]:
    """Passages of about `target` characters, cut at paragraph (else sentence) breaks.

    Offsets index into the page's text (the document's for unpaged files), so a
    citation can point at page 3, characters 120-980.
    """
    chunks: list[ChunkSpec] = []
    for page in pages:
        for start, end in _split(page.text, target):
            body = page.text[start:end]
            stripped = body.strip()
            if not stripped:
                continue
            lead = len(body) - len(body.lstrip())
            start += lead
            end = start + len(stripped)
            chunks.append(ChunkSpec(page.page, start, end, stripped))
    return chunks


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+")


def _split(text: str, target: int) -> list[tuple[int, int]]:
    """(start, end) spans covering the text, each at most CHUNK_MAX characters."""
    spans: list[tuple[int, int]] = []
    breaks = [match.end() for match in _PARAGRAPH.finditer(text)] + [len(text)]
    start = 0
    cut = 0
    for point in breaks:
        if point - start >= target:
            end = point if point - start <= CHUNK_MAX or cut <= start else cut
            spans.extend(_hard_split(text, start, end))
            start = end
        cut = point
    if start < len(text):
        spans.extend(_hard_split(text, start, len(text)))
    return spans


def _hard_split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    while end - start > CHUNK_MAX:
        window = text[start : start + CHUNK_MAX]
        sentence_ends = [m.end() for m in _SENTENCE.finditer(window) if m.end() > CHUNK_TARGET // 2]
        if sentence_ends:
            cut = start + sentence_ends[-1]
        else:
            space = window.rfind(" ", CHUNK_TARGET // 2)
            cut = start + (space + 1 if space > 0 else CHUNK_MAX)
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans
