"""Turn passages of study material into question/answer flashcards, offline.

Deterministic and network-free, so the local model and the tests get the same cards
every time. Two kinds of card, in this order of preference:

- definitions: a sentence "X is/are/means/refers to ..." becomes "What is X?" with the
  sentence as the answer;
- cloze deletions: a sentence with a key term blanked out ("_____"), the term as the
  answer. The key term is the one the material repeats most (code spans and
  capitalised names first), because that is what the material is about.
"""

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from db.learning.cards import CardDraft

MIN_SENTENCE = 25
MAX_SENTENCE = 320
BLANK = "_____"

_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
# No "[" inside the text and bounded lengths: "[[[[..." once made this quadratic (a
# 280 KB upload blocked the event loop for 1.7 s per generateCards call).
_LINK = re.compile(r"\[([^\[\]]{1,300})\]\([^()\s]{0,500}\)")
_FOOTNOTE = re.compile(r"\s*\[\d+\]")
_EMPHASIS = re.compile(r"(?<![\w`])([*_]{1,2})(?=\S)([^*_`]+?)(?<=\S)\1(?![\w`])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")
_DEFINITION = re.compile(
    r"^(?P<subject>(?:(?:a|an|the)\s+)?[`\w][\w`.()\-' ]{0,60}?)\s+"
    r"(?P<verb>is|are|means|refers to|is called|is defined as)\s+(?P<rest>.{8,})$",
    re.IGNORECASE,
)
_WORD = re.compile(r"`[^`]+`|[A-Za-z_][A-Za-z0-9_]*(?:\(\))?")
_NOT_SUBJECTS = {
    "it", "this", "that", "there", "here", "he", "she", "they", "these", "those", "what",
    "which", "who", "one", "each", "all", "some", "such", "so", "and", "but", "if", "when",
    "where", "why", "how", "you", "we", "i", "its", "their", "our", "your", "the result",
    "the answer", "the following", "the same", "the other", "the first", "the last",
    "note", "since", "another", "for", "in", "as", "because", "while", "although", "also",
    "then", "now", "thus", "hence", "once", "referencing", "using", "remember", "see",
}  # fmt: skip
# Modifiers that make a subject depend on the sentence before ("the returned index").
_WEAK_MODIFIERS = {
    "first", "second", "third", "last", "next", "previous", "returned", "following", "same",
    "other", "another", "special", "common", "main", "only", "above", "below", "such",
    "this", "that", "these", "those", "its", "their", "new", "given", "resulting", "most",
    "many", "some", "all", "few", "which", "who", "whose", "when",
}  # fmt: skip
_STOPWORDS = {
    "about", "above", "after", "again", "against", "also", "always", "another", "because",
    "before", "being", "below", "between", "both", "called", "cannot", "could", "does",
    "doing", "during", "either", "every", "example", "first", "following", "further",
    "however", "itself", "might", "never", "other", "otherwise", "rather", "really",
    "should", "simply", "since", "something", "still", "their", "there", "these", "thing",
    "things", "those", "though", "through", "together", "under", "until", "usually", "using",
    "value", "values", "where", "whether", "which", "while", "within", "without", "would",
    "written", "returns", "return", "means", "second", "number", "instead",
}  # fmt: skip


# Sentences a card cannot stand on: their subject is in the sentence before ("This
# includes ..."), or they send the learner elsewhere instead of teaching.
_DANGLING_STARTS = {
    "this", "that", "these", "those", "it", "its", "they", "them", "their", "he", "she",
    "such", "here", "both", "either", "neither", "instead", "otherwise", "also", "then",
    "thus", "so", "but", "and", "or", "however", "likewise", "similarly", "again",
}  # fmt: skip
_CROSS_REFERENCE = re.compile(
    r"\b(see|covered in|described in|explained in|discussed in|documented in|refer to|"
    r"more detail|for details|more information|(next|previous|following|preceding|"
    r"earlier|later|this) (section|chapter|example|paragraph|snippet)|below|above|"
    r"as follows|shown here|here)\b",
    re.IGNORECASE,
)
# A fill-in-the-blank needs a sentence that carries a fact, not a phrase.
MIN_CLOZE_WORDS = 8


def _studiable(sentence: str) -> bool:
    """A sentence a card can stand on: it names its own subject, teaches rather than
    points elsewhere, and keeps its code and markup whole."""
    first = sentence.lstrip("\"'`*_(").split(" ", 1)[0].lower().strip(",;:")
    if first in _DANGLING_STARTS or _CROSS_REFERENCE.search(sentence):
        return False
    if sentence.count("`") % 2 or sentence.count("**") % 2:
        return False
    for opening, closing in ("()", "[]", "{}"):
        depth = 0
        for char in sentence:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def _fact_weight(sentence: str) -> int:
    """How much a sentence looks like it states a fact: code, numbers, a defining verb."""
    weight = ("`" in sentence) + bool(re.search(r"\d", sentence))
    weight += bool(re.search(r"\b(is|are|returns?|means|must|raises?|creates?)\b", sentence))
    return weight


def write_cards(passages: Sequence[str | tuple[str, dict]], *, count: int) -> list[CardDraft]:
    """Up to `count` cards from the passages; each keeps its passage's citation (or None)."""
    items = [(p, None) if isinstance(p, str) else (p[0], p[1]) for p in passages]
    sentences = [[s for s in _sentences(text) if _studiable(s)] for text, _ in items]
    counts = _term_counts(" ".join(" ".join(group) for group in sentences))
    definitions: list[list[CardDraft]] = []
    clozes: list[list[CardDraft]] = []
    for (_, source), group in zip(items, sentences, strict=True):
        passage_definitions, passage_clozes = [], []
        # Within a passage, the sentences that carry facts first.
        for sentence in sorted(group, key=lambda s: -_fact_weight(s)):
            card = _definition(sentence, source)
            if card:
                passage_definitions.append(card)
                continue
            card = _cloze(sentence, source, counts)
            if card:
                passage_clozes.append(card)
        definitions.append(passage_definitions)
        clozes.append(passage_clozes)
    # Round-robin over passages so the cards cover the material, not its first page.
    chosen: list[CardDraft] = []
    seen: set[str] = set()
    for pool in (definitions, clozes):
        for card in _round_robin(pool):
            key = card.front.lower()
            if key not in seen:
                seen.add(key)
                chosen.append(card)
            if len(chosen) >= count:
                return chosen
    return chosen


def _sentences(text: str) -> list[str]:
    text = _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", _CODE_BLOCK.sub(" ", text)))
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "|", ">>>", "...", "---", "===")):
            lines.append("\n")  # a heading or table ends the sentence before it
            continue
        lines.append(re.sub(r"^([-*+]|\d+[.)])\s+", "", line))
    sentences = []
    for block in " ".join(lines).split("\n"):
        for sentence in _SENTENCE_END.split(" ".join(block.split())):
            sentence = sentence.strip()
            sentence = _FOOTNOTE.sub("", sentence).strip()
            # A lower-case start is a fragment the splitter cut from a longer sentence.
            starts_well = sentence[:1].isupper() or sentence[:1] in "`\"'"
            if (
                MIN_SENTENCE <= len(sentence) <= MAX_SENTENCE
                and sentence[-1] in ".!?"
                and starts_well
            ):
                sentences.append(sentence)
    return sentences


def _definition(sentence: str, source: dict[str, Any] | None) -> CardDraft | None:
    match = _DEFINITION.match(sentence.rstrip(".!?"))
    if not match:
        return None
    subject = match.group("subject").strip()
    words = subject.split()
    lowered = [word.lower() for word in words]
    content = lowered[1:] if lowered[0] in ("a", "an", "the") else lowered
    if (
        subject.lower() in _NOT_SUBJECTS
        or lowered[0] in _NOT_SUBJECTS
        or not 1 <= len(content) <= 3
        or any(word in _WEAK_MODIFIERS for word in content)
        or ("`" in subject and not re.fullmatch(r"`[^`]+`", subject))
        # "The error is ..." speaks of the example at hand, not a concept.
        or (lowered[0] == "the" and len(content) == 1)
        # An article inside means the pattern caught a clause ("Classes provide a means").
        or any(word in ("a", "an", "the") for word in lowered[1:])
    ):
        return None
    if len(match.group("rest").split()) < 4:
        return None  # "X is Y." says too little to learn
    verb = match.group("verb").lower()
    if verb in ("means", "refers to"):
        front = f"What does {subject} mean?"
    elif verb == "are":
        front = f"What are {_lower_first(subject)}?"
    else:
        front = f"What is {_lower_first(subject)}?"
    return CardDraft(front=front, back=sentence, source=source)


def _cloze(sentence: str, source: dict[str, Any] | None, counts: Counter) -> CardDraft | None:
    if len(sentence.split()) < MIN_CLOZE_WORDS:
        return None
    candidates = []
    for position, match in enumerate(_WORD.finditer(sentence)):
        term = match.group(0)
        key = _term_key(term)
        if not _is_key_term(term, position) or _said_twice(key, sentence, not key.isalpha()):
            continue
        # Code and proper names are the material's vocabulary; then what it repeats.
        weight = (term.startswith("`") or term[0].isupper(), counts[key], len(key))
        candidates.append((weight, match.start(), term))
    if not candidates:
        return None
    _, _, term = max(candidates, key=lambda item: (item[0], -item[1]))
    if counts[_term_key(term)] < 2 and not term.startswith("`"):
        return None  # a word said once is rarely what the passage teaches
    # The whole word only: "class" must not blank the middle of "subclasses".
    blanked = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", BLANK, sentence, count=1)
    return CardDraft(front=f"Fill in the blank: {blanked}", back=term.strip("`"), source=source)


def _said_twice(key: str, sentence: str, symbolic: bool) -> bool:
    """The term is in the sentence more than once, so blanking one would leave the answer
    in the question: code with symbols exactly (`set()` is not in "sets"), a word also
    as a word made from it ("exception" in "exceptions", `else` ... `else`)."""
    plain = sentence.replace("`", "").lower()
    if symbolic:
        return len(re.findall(rf"(?<!\w){re.escape(key)}(?!\w)", plain)) > 1
    stem = re.escape(key.rstrip("()*").rstrip("s") or key)
    return len(re.findall(rf"(?<!\w){stem}", plain)) > 1


def _is_key_term(term: str, position: int) -> bool:
    if term.startswith("`"):
        return 1 < len(term) - 2 <= 25 and " " not in term
    plain = term.rstrip("()")
    if position == 0 and not plain.isupper() and "_" not in plain:
        return False  # a capital at the start of a sentence says nothing
    return len(plain) >= 5 and plain.lower() not in _STOPWORDS


def _term_counts(text: str) -> Counter:
    return Counter(_term_key(match.group(0)) for match in _WORD.finditer(text))


def _term_key(term: str) -> str:
    return term.strip("`").lower()


def _round_robin(pools: list[list[CardDraft]]):
    for index in range(max((len(pool) for pool in pools), default=0)):
        for pool in pools:
            if index < len(pool):
                yield pool[index]


def _lower_first(subject: str) -> str:
    """ "Empty tuples" reads "empty tuples" mid-question; `Names` and ACRONYMS stay."""
    first, _, rest = subject.partition(" ")
    if first.lower() in ("a", "an", "the") or first.istitle():
        return f"{first.lower()} {rest}".strip()
    return subject
