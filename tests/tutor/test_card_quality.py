"""Cards a learner can study: the writer's known failures are gone, and on held-out
material (tests/data/cards-heldout.md, never used to tune the writer) the independent
check accepts at least the floor. bench/card_quality.py prints the measured share."""

from pathlib import Path

from db.materials.extraction.chunking import chunk_pages
from db.materials.extraction.pages import PageText
from tutor.card_check import card_problems
from tutor.card_writer import write_cards

DATA = Path(__file__).resolve().parent.parent / "data"
# Measured 80% (32 of 40) when this floor was set; see bench/card_quality.py.
HELD_OUT_FLOOR = 0.75

# Sentences the writer turned into bad cards, from the issue and the tutorial.
BAD_SOURCES = (
    "When used with a loop, the `else` clause has more in common with the `else` clause "
    "of a `try` statement than it does with that of `if` statements: a loop's `else` "
    "clause runs when no `break` occurs.\n\n"
    "This includes any names defined in the module by an assignment statement or by "
    "`import` statements executed by the module code.\n\n"
    "A name prefixed with an underscore (e.g. `_spam`) should be treated as a non-public "
    "part of the API (whether it is a function, a method or a data member).\n\n"
    "Handlers are covered in more detail in Handlers, and logging handlers are objects.\n\n"
    "One of its subclasses, `Exception`, is the base class of all the non-fatal exceptions."
)


def cards_of(text: str, count: int):
    return write_cards([chunk.text for chunk in chunk_pages([PageText(None, text)])], count=count)


def test_the_writer_avoids_the_cards_the_issue_found():
    cards = cards_of(BAD_SOURCES * 2, 20)
    fronts = " ".join(card.front for card in cards)
    assert all(card_problems(card) == [] for card in cards), [
        (card.front, card_problems(card)) for card in cards
    ]
    assert "This includes" not in fronts
    assert "covered in more detail" not in fronts
    assert "sub_____" not in fronts
    for card in cards:
        if "_____" in card.front:
            answer = card.back.strip("`")
            assert answer.lower() not in card.front.replace("_____", " ").replace("`", "").lower()


def test_the_check_names_each_problem():
    from db.learning.cards import CardDraft

    def problems(front, back):
        return card_problems(CardDraft(front, back))

    assert "answer_in_question" in problems(
        "Fill in the blank: the _____ clause runs like a loop's `else` clause does.", "else"
    )
    assert "dangling_start" in problems(
        "Fill in the blank: This includes any names defined by _____ statements.", "import"
    )
    assert "broken_markup" in problems(
        "Fill in the blank: _____) should be treated as a non-public part of the API.", "_spam"
    )
    assert "cross_reference" in problems(
        "What are handlers?", "Handlers are covered in more detail in Handlers."
    )
    assert (
        problems(
            "Fill in the blank: A `finally` clause runs as the last task before the `try` "
            "statement _____.",
            "completes",
        )
        == []
    )


def test_held_out_material_meets_the_floor():
    cards = cards_of((DATA / "cards-heldout.md").read_text(encoding="utf-8"), 40)
    assert len(cards) >= 30
    acceptable = sum(1 for card in cards if not card_problems(card))
    assert acceptable / len(cards) >= HELD_OUT_FLOOR, acceptable / len(cards)
