"""Is a flashcard one a learner can study? An automatic check, independent of the writer.

A card is acceptable when none of these problems is found:

- answer_in_question: the answer (a blanked term, or the subject of "What is X?") can be
  read in the question elsewhere than where it is asked for;
- dangling_start: the question starts with a pronoun or pointer whose referent is in a
  sentence the card does not carry ("This includes ...", "It returns ...");
- broken_markup: unbalanced backticks, brackets, parentheses or emphasis, or a fragment
  cut out of markup (a question starting with ")" or ",");
- cross_reference: the card points elsewhere instead of teaching ("covered in more detail
  in Handlers", "see below", "the previous section");
- trivial: too little to learn: a question of under six words of text, an answer that is
  a stop word, a number alone or a single character, or a definition under five words;
- no_blank: a fill-in-the-blank card with no blank, or more than one;
- not_a_question: a question card that does not end with "?".

bench/card_quality.py measures the share of acceptable cards on held-out material.
"""

import re

from db.learning.cards import CardDraft

CLOZE_PREFIX = "Fill in the blank:"
BLANK = "_____"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']*")
_DANGLING = {
    "this", "that", "these", "those", "it", "its", "they", "them", "their", "he", "she",
    "such", "here", "both", "either", "neither", "former", "latter", "above",
    "below", "instead", "otherwise", "likewise", "similarly", "also", "then", "thus",
}  # fmt: skip
_CROSS_REFERENCE = re.compile(
    r"\b(see( also)?|covered in|described in|explained in|discussed in|documented in|"
    r"(in|of) (the )?(next|previous|following|preceding|earlier|later) (section|chapter|"
    r"example|paragraph)|(see|shown|listed|given) (below|above)|as (shown|mentioned|noted|"
    r"described) (above|below|earlier|before)|more detail|for details|refer to)\b",
    re.IGNORECASE,
)
_STOPWORDS = {
    "a", "an", "the", "is", "are", "be", "of", "to", "in", "on", "and", "or", "it", "this",
    "that", "for", "with", "as", "by", "at", "from", "not", "no", "yes", "true", "false",
    "can", "may", "will", "one", "all", "some", "any", "each", "used", "use",
}  # fmt: skip
# Everyday words a blank can hide without teaching anything: guessing them tests
# English, not the material ("can _____ out this demo" -> "check").
_EVERYDAY = {
    "check", "apply", "default", "future", "past", "make", "made", "take", "give", "get",
    "set", "put", "keep", "need", "want", "like", "good", "better", "best", "new", "old",
    "first", "last", "next", "same", "other", "different", "simple", "possible", "useful",
    "important", "number", "way", "thing", "time", "part", "case", "example", "reason",
    "result", "work", "works", "run", "call", "show", "see", "look", "find", "try",
    "start", "end", "add", "change", "help", "allow", "allows", "provide", "provides",
    "support", "supports", "follow", "following", "already", "also", "often", "always",
    "never", "usually", "value", "values", "state", "type", "types", "kind", "order",
}  # fmt: skip


def card_problems(card: CardDraft) -> list[str]:
    """The problems found on the card (see the module doc); [] for an acceptable card."""
    front, back = card.front.strip(), card.back.strip()
    cloze = front.startswith(CLOZE_PREFIX)
    text = front[len(CLOZE_PREFIX) :].strip() if cloze else front
    problems = []
    if cloze and text.count(BLANK) != 1:
        problems.append("no_blank")
    if not cloze and not front.endswith("?"):
        problems.append("not_a_question")
    if _answer_in_question(text, back, cloze):
        problems.append("answer_in_question")
    first = _WORD.match(text.lstrip("\"'`*_"))
    starts_blank = text.lstrip("\"'`*_").startswith(BLANK[:1]) or text.startswith(BLANK)
    if cloze and not starts_blank and (first is None or first.group(0).lower() in _DANGLING):
        problems.append("dangling_start")
    if _broken(text) or (cloze and text[:1] in ")],;:.") or _broken(back):
        problems.append("broken_markup")
    if _CROSS_REFERENCE.search(front) or _CROSS_REFERENCE.search(back):
        problems.append("cross_reference")
    if _trivial(text, back, cloze):
        problems.append("trivial")
    return problems


def _answer_in_question(text: str, back: str, cloze: bool) -> bool:
    if cloze:
        answer = back.strip("`").lower()
        shown = text.replace(BLANK, " ").replace("`", "").lower()
        return bool(answer) and re.search(rf"(?<!\w){re.escape(answer)}(?!\w)", shown) is not None
    # "What is X?" answered by "X is X ...": the answer must say more than the question.
    asked = {w.lower() for w in _WORD.findall(text)} - _STOPWORDS
    told = {w.lower() for w in _WORD.findall(back)} - _STOPWORDS
    return bool(told) and told <= asked | {"what", "does", "mean"}


def _broken(text: str) -> bool:
    if text.count("`") % 2 or text.count("**") % 2:
        return True
    for opening, closing in ("()", "[]", "{}"):
        depth = 0
        for char in text:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                return True
        if depth:
            return True
    return False


def _trivial(text: str, back: str, cloze: bool) -> bool:
    words = _WORD.findall(text.replace(BLANK, " "))
    if len(words) < 6 and cloze:
        return True
    if cloze:
        answer = back.strip("`").strip()
        lowered = answer.lower()
        return len(answer) < 2 or answer.isdigit() or lowered in _STOPWORDS | _EVERYDAY
    return len(_WORD.findall(back)) < 5
