"""Which sentences a teaching answer quotes (offline tutor), on hand-made passages with
given closeness in meaning, so each rule is seen on its own."""

from tutor.offline.selection import answering, teaching
from tutor.text import Passage, sentences_of

LOOP = Passage(
    1,
    "loops.md",
    "The for statement walks over the items of any sequence in order. "
    "It stops when the sequence has no items left. "
    "Strings can be written with single or double quotes today.",
)
OTHER = Passage(2, "strings.md", "Raw strings keep every backslash exactly as it is written.")


def _meaning(values: dict[int, float], passage: Passage = LOOP) -> dict[str, float]:
    texts = [s.text for s in sentences_of(passage)]
    return {texts[i]: value for i, value in values.items()} | {OTHER.text: 0.05}


def test_a_sentence_that_points_back_comes_with_the_one_before_it():
    meaning = _meaning({0: 0.30, 1: 0.70, 2: 0.02})
    chosen = teaching("when does a loop end?", [LOOP, OTHER], limit=1, meaning=meaning)
    texts = [s.text for s in chosen]
    assert texts[0].startswith("It stops")
    assert any(t.startswith("The for statement") for t in texts)
    assert not any("quotes" in t or "backslash" in t for t in texts)


def test_the_best_passage_gives_a_second_sentence_when_nearly_as_close():
    # Close, but below the share that makes a sentence an answer of its own.
    meaning = _meaning({0: 0.53, 1: 0.02, 2: 0.70})
    chosen = teaching("zebra", [LOOP, OTHER], limit=3, meaning=meaning)
    texts = [s.text for s in chosen]
    assert texts[0].startswith("Strings can")
    assert any(t.startswith("The for statement") for t in texts)
    assert not any("backslash" in t for t in texts)


def test_the_sentence_after_that_continues_the_chosen_one_is_quoted_too():
    meaning = _meaning({0: 0.70, 1: 0.10, 2: 0.02})
    texts = [s.text for s in teaching("zebra", [LOOP, OTHER], limit=1, meaning=meaning)]
    assert texts[0].startswith("The for statement")
    assert texts[1:] == ["It stops when the sequence has no items left."]


def test_nothing_is_quoted_when_no_sentence_answers():
    meaning = _meaning({0: 0.05, 1: 0.04, 2: 0.03})
    assert teaching("capital of France", [LOOP, OTHER], limit=3, meaning=meaning) == []


def test_a_line_that_introduces_code_is_no_antecedent():
    passage = Passage(
        1,
        "errors.md",
        "The output ends like this every time:\n\n    RuntimeError\n\n"
        "It also allows disabling automatic exception chaining entirely.",
    )
    texts = [s.text for s in sentences_of(passage)]
    meaning = {texts[0]: 0.10, texts[1]: 0.70}
    chosen = teaching("zebra", [passage], limit=1, meaning=meaning)
    assert [s.text for s in chosen] == [texts[1]]


def test_an_example_opening_with_for_instance_comes_with_the_sentence_it_illustrates():
    passage = Passage(
        1,
        "lists.md",
        "Not all data can be sorted or compared. "
        "For instance, a list of numbers and strings does not sort. "
        "Strings can be written with single or double quotes today.",
    )
    texts = [s.text for s in sentences_of(passage)]
    meaning = {texts[0]: 0.30, texts[1]: 0.70, texts[2]: 0.02}
    chosen = teaching("zebra", [passage], limit=1, meaning=meaning)
    assert [s.text for s in chosen] == [texts[1], texts[0]]


SORTING = Passage(
    1,
    "lists.md",
    "The sort method orders the items of a list in place. "
    "Pass reverse=True to get them from the largest down to the smallest. "
    "Strings can be written with single or double quotes today.",
)


def test_a_sentence_as_close_in_meaning_is_quoted_though_it_shares_no_word_with_the_question():
    # A learner's words rarely are the book's: the second sentence answers "biggest
    # first" in other words, and is nearly as close in meaning as the best one.
    texts = [s.text for s in sentences_of(SORTING)]
    meaning = {texts[0]: 0.60, texts[1]: 0.57, texts[2]: 0.05}
    chosen = answering("how do I sort items biggest first?", [SORTING], limit=3, meaning=meaning)
    assert [s.text for s in chosen] == texts[:2]


def test_a_sentence_far_in_meaning_that_shares_no_word_is_not_quoted_beside_the_best():
    texts = [s.text for s in sentences_of(SORTING)]
    meaning = {texts[0]: 0.60, texts[1]: 0.45, texts[2]: 0.05}
    chosen = answering("how do I sort items biggest first?", [SORTING], limit=3, meaning=meaning)
    assert [s.text for s in chosen] == texts[:1]


def test_when_the_best_holds_the_learners_words_one_without_them_is_off_subject():
    # "Explain exception chaining": the best holds both words, the other only the
    # common one; however close in meaning, it is about something else.
    passage = Passage(
        1,
        "errors.md",
        "Exception chaining happens automatically when an exception is raised in a handler. "
        "Exceptions should typically be derived from the Exception class. "
        "Strings can be written with single or double quotes today.",
    )
    texts = [s.text for s in sentences_of(passage)]
    meaning = {texts[0]: 0.60, texts[1]: 0.58, texts[2]: 0.05}
    chosen = answering("explain exception chaining", [passage], limit=3, meaning=meaning)
    assert [s.text for s in chosen] == texts[:1]
