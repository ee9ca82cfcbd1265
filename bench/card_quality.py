"""How many generated flashcards a learner can study, on material the writer was not
tuned on (tests/data/cards-heldout.md), beside the material it was tuned on.

    uv run python bench/card_quality.py

Cards come from the offline writer (generateCards' own code) over the material cut into
passages as uploads are; each card is judged by tutor.card_check (an independent check:
answer in the question, dangling start, broken markup, cross-reference, trivial). Prints
the share of acceptable cards and the problems found, per material.
"""

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "agents")]

from db.materials.extraction.chunking import chunk_pages  # noqa: E402
from db.materials.extraction.pages import PageText  # noqa: E402
from tutor.card_check import card_problems  # noqa: E402
from tutor.card_writer import write_cards  # noqa: E402

DATA = ROOT / "tests" / "data"
HELD_OUT = ["cards-heldout.md"]
TUNED = [
    "tutorial-controlflow.md",
    "tutorial-datastructures.md",
    "tutorial-errors.md",
    "tutorial-classes.md",
]
CARDS_PER_MATERIAL = 40


def judge(names: list[str]) -> tuple[int, int, Counter, list]:
    """(acceptable, total, problems, examples of rejected cards) over the materials."""
    acceptable = total = 0
    problems: Counter = Counter()
    rejected = []
    for name in names:
        text = (DATA / name).read_text(encoding="utf-8")
        passages = [chunk.text for chunk in chunk_pages([PageText(None, text)])]
        for card in write_cards(passages, count=CARDS_PER_MATERIAL):
            found = card_problems(card)
            total += 1
            acceptable += not found
            problems.update(found)
            if found:
                rejected.append((found, card.front, card.back))
    return acceptable, total, problems, rejected


def main() -> None:
    verbose = "-v" in sys.argv
    for label, names in (("held-out", HELD_OUT), ("tuned on (baseline)", TUNED)):
        acceptable, total, problems, rejected = judge(names)
        share = acceptable / total if total else 0.0
        print(f"{label:>20}: {acceptable}/{total} acceptable cards = {share:.0%}  {dict(problems)}")
        if verbose:
            for found, front, back in rejected:
                print(f"    {found}: {front!r} -> {back!r}")


if __name__ == "__main__":
    main()
