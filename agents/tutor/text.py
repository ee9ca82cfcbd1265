"""Plain-text helpers of the offline tutor: passages, sentences, terms. Deterministic."""

import html
import re
import textwrap
from dataclasses import dataclass

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    explain few for from further had has have having he her here hers him his how i if in
    into is it its itself just me more most my no nor not now of off on once only or other
    our out over own please same she should so some such tell than that the their them
    then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours quiz me summarize
    summarise summary give show let lets us mean means meaning does work works used use""".split()
)

_PASSAGE = re.compile(
    r'<passage n="(\d+)" source="([^"]*)"(?: at="(\d+)")?>(.*?)</passage>', re.DOTALL
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*$")
# A sentence ends at . ! or ? before a capital, a curly quote, a backtick, _ ( or [.
_SENTENCE_END = re.compile('(?<=[.!?])\\s+(?=[A-Z`_"\u201c\u2018(\\[])')
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']*")


@dataclass(frozen=True)
class Passage:
    """One passage a search_material tool call showed, by its citation number."""

    number: int
    source: str
    text: str
    start: int = 0  # where it starts in its page (or document): reading order


@dataclass(frozen=True)
class Sentence:
    passage: Passage
    position: int
    text: str
    section: str | None = None  # the heading above it in the passage, if any


def parse_passages(tool_output: str) -> list[Passage]:
    """The passages of a search_material output (unescaped: they were escaped to quote)."""
    return [
        Passage(int(number), html.unescape(source), html.unescape(text), int(at or 0))
        for number, source, at, text in _PASSAGE.findall(tool_output)
    ]


def heading_text(line: str) -> str | None:
    """A markdown heading's words ("## 8.3\\. Handling Exceptions¶" -> "8.3. Handling
    Exceptions"), None for other lines."""
    match = _HEADING.match(line)
    if not match:
        return None
    return match.group(1).replace("\\", "").replace("¶", "").strip() or None


def clean_prose(text: str) -> str:
    """Markdown prose without code samples, prompts, headings or pilcrows."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if (
            line.startswith(("    ", "\t"))  # indented code sample
            or stripped.startswith((">>>", "...", "#", "```", "|"))
            or not stripped
        ):
            kept.append("\n")
            continue
        kept.append(stripped)
    prose = " ".join(kept).replace("¶", "")
    # Paragraph breaks (left as "\n") end a sentence even without a full stop.
    return re.sub(r"[ \t]+", " ", prose)


def sentences_of(passage: Passage) -> list[Sentence]:
    """The passage's prose sentences, in order, each with the heading above it."""
    found: list[Sentence] = []
    for section, body in _sections(passage.text):
        for paragraph in clean_prose(body).split("\n"):
            for piece in _SENTENCE_END.split(paragraph.strip()):
                piece = piece.strip()
                if len(piece.split()) >= 4:
                    found.append(Sentence(passage, len(found), piece, section))
    return found


def _sections(text: str) -> list[tuple[str | None, str]]:
    """(heading, text under it) in order; the text before the first heading has None."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines():
        heading = heading_text(line)
        if heading:
            sections.append((heading, []))
        else:
            sections[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in sections]


def code_after(sentence: Sentence, *, max_lines: int = 14) -> str | None:
    """The code sample right after a sentence that introduces it (ends with ':'), verbatim
    and dedented; None when the sentence introduces none."""
    if not sentence.text.rstrip().endswith(":"):
        return None
    tail = sentence.text.split()[-6:]
    pattern = r"[\s`*_]*".join(re.escape(word.strip("`*_")) for word in tail)
    match = re.search(pattern, sentence.passage.text)
    if not match:
        return None
    lines = sentence.passage.text[match.end() :].splitlines()[1:]
    code: list[str] = []
    for line in lines:
        if not line.strip():
            if code:
                code.append("")
            continue
        if not line.startswith(("    ", "\t")) and not line.lstrip().startswith((">>>", "...")):
            break
        code.append(line)
    while code and not code[-1].strip():
        code.pop()
    return textwrap.dedent("\n".join(code[:max_lines])) if code else None


def stem(word: str) -> str:
    """A crude English stemmer: enough to match "loops" with "loop", "raised" with "raise"."""
    word = word.lower().strip("'")
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The content words of a text, stemmed, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        if word.lower() not in STOPWORDS and len(word) > 1:
            seen.setdefault(stem(word), None)
    return list(seen)


def surface_terms(text: str) -> list[str]:
    """The content words of a text as written (code marks dropped), one per stem, in order."""
    seen: dict[str, str] = {}
    for word in _WORD.findall(text.replace("`", "")):
        if word.lower() not in STOPWORDS and len(word) > 1:
            seen.setdefault(stem(word), word)
    return list(seen.values())


def rank_sentences(question: str, passages: list[Passage]) -> list[tuple[float, Sentence]]:
    """Every sentence with its relevance to the question, best first (ties: reading order)."""
    wanted = set(terms(question))
    ranked = []
    for passage in passages:
        for sentence in sentences_of(passage):
            overlap = len(wanted.intersection(terms(sentence.text)))
            # Earlier passages ranked higher in search; earlier sentences often define.
            score = overlap + 0.5 / passage.number + 0.1 / (1 + sentence.position)
            ranked.append((score, sentence))
    ranked.sort(key=lambda item: (-item[0], item[1].passage.number, item[1].position))
    return ranked


def key_term(sentence: str, avoid: set[str]) -> str | None:
    """The word a cloze question should blank out: the longest content word not asked about."""
    candidates = [
        word
        for word in _WORD.findall(sentence.replace("`", ""))
        if word.lower() not in STOPWORDS and stem(word) not in avoid and len(word) >= 4
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda word: (len(word), -candidates.index(word)))


def words_with_spaces(text: str) -> list[str]:
    """The text cut into words, each with the whitespace after it: they join back to text."""
    return re.findall(r"\s*\S+\s*", text)
