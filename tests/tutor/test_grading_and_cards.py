"""The offline grader and card writer: what they decide, and that hostile text cannot
stall the event loop they run on (both were quadratic on crafted input)."""

import random
import time

import pytest

from tutor.card_writer import write_cards
from tutor.grading import grade_answer


@pytest.mark.parametrize(
    ("expected", "given", "rating"),
    [
        ("the break statement", "the break statement", "EASY"),
        ("the break statement", "break statment", "GOOD"),  # a typo is still right
        ("mutable", "immutable", "AGAIN"),  # the opposite, not a typo
        ("mutable", "not mutable", "AGAIN"),
        ("mutable", "idk", "AGAIN"),
        (
            "A list comprehension builds a new list from an iterable in one expression",
            "a comprehension builds a new list from any iterable",
            "GOOD",
        ),
        (
            "A list comprehension builds a new list from an iterable in one expression",
            "something about lists",
            "AGAIN",
        ),
    ],
)
def test_grades(expected, given, rating):
    assert grade_answer(expected, given) == rating


def test_a_markdown_link_becomes_its_text():
    passage = (
        "A [tuple](https://docs.python.org/3/library/stdtypes.html#tuple) is an immutable "
        "sequence of values separated by commas."
    )
    [card] = write_cards([passage], count=1)
    assert card.front == "What is a tuple?"
    assert "docs.python.org" not in card.back and "immutable sequence" in card.back


def _random_words(count: int, seed: int) -> str:
    generator = random.Random(seed)
    return " ".join(
        "".join(generator.choice("bcdfghjklmnpqrstvwxz") for _ in range(5)) for _ in range(count)
    )


def test_a_huge_answer_to_a_huge_card_is_graded_quickly():
    # 830 x 333 distinct words once meant 1.7 s of SequenceMatcher on the event loop.
    started = time.monotonic()
    assert grade_answer(_random_words(830, 1), _random_words(333, 2)) == "AGAIN"
    assert time.monotonic() - started < 1.0  # measured 0.03-0.06 s; the regression took 1.7 s


def test_cards_from_bracket_floods_are_written_quickly():
    # 200 passages of "[[[[..." once took 1.7 s (the link pattern backtracked).
    started = time.monotonic()
    assert write_cards(["[" * 1400] * 200, count=20) == []
    assert time.monotonic() - started < 1.0  # measured 0.03-0.06 s; the regression took 1.7 s
