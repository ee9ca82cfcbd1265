"""The tutor-answer evaluation: the offline tutor over the tutorial chapters, judged on
what a learner reads and what the message stores.

Shared by bench/tutor_answers.py (which prints the figures) and
tests/tutor/test_answer_quality.py (which guards floors below them). A turn runs the
real agent, tools and database search; its stored citations are computed by the same
function the turn runner stores them with.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agents import Runner, set_tracing_disabled
from sqlmodel import select

from db.engine import unit_of_work
from db.models import MaterialChunk
from tests.factories import make_session, make_topic, make_user
from tests.materials.helpers import DATA
from tests.materials.retrieval_set import load_outside_questions, load_questions
from tests.tutor.helpers import Learner, upload
from tutor.agent import MAX_TURNS, build_tutor_agent
from tutor.citations import citations_to_store, cited_markers, find_verbatim
from tutor.context import TutorContext
from tutor.offline import LocalTutorModel
from tutor.offline.wording import NOT_COVERED

set_tracing_disabled(True)

CHAPTERS = (
    "tutorial-controlflow.md",
    "tutorial-datastructures.md",
    "tutorial-errors.md",
    "tutorial-classes.md",
    "tutorial-modules.pdf",
)
_QUOTE = re.compile(r"“([^\n]+?)” \[(\d+)\]")


def paraphrased(split: str | None = None) -> list[dict[str, str]]:
    """The labelled questions phrased as students ask them (tests/data/retrieval), each
    as {question, file, needle, split}: `needle` is a piece of the answering sentence.
    `split` "tune" or "holdout" keeps one half; "extra" gives the tutor's own set."""
    if split == "extra":
        return json.loads((DATA / "tutor" / "paraphrased.json").read_text())["questions"]
    return [
        {"question": q.question, "file": q.material, "needle": q.answer, "split": q.split}
        for q in load_questions("paraphrased")
        if split is None or q.split == split
    ]


def outside() -> list[str]:
    """Questions the chapters do not answer (both labelled sets)."""
    own = json.loads((DATA / "tutor" / "outside.json").read_text())["questions"]
    return list(dict.fromkeys([*load_outside_questions(), *own]))


@dataclass
class Library:
    learner: Learner
    material_ids: dict[str, int] = field(default_factory=dict)
    chunks: dict[int, list[str]] = field(default_factory=dict)  # material id -> chunk texts
    last_shown: list[dict[str, Any]] = field(default_factory=list)  # the last turn's passages


async def library_of_chapters(harness, chapters: tuple[str, ...] = CHAPTERS) -> Library:
    """A learner with the chapters uploaded into one topic, through the real pipeline."""
    user = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=user.id, title="The Python tutorial")
    session = await make_session(harness, owner_id=user.id, topic_id=topic.id, mode="EXPLAIN")
    library = Library(Learner(user.id, topic.id, session.id))
    for name in chapters:
        library.material_ids[name] = await upload(
            harness, library.learner, name, (DATA / name).read_bytes()
        )
    async with unit_of_work(harness.session_factory) as session:
        rows = (await session.exec(select(MaterialChunk))).all()
    for row in rows:
        library.chunks.setdefault(row.material_id, []).append(row.text)
    return library


async def ask(
    harness, library: Library, question: str, *, history=(), mode: str = "EXPLAIN"
) -> tuple[str, list[dict[str, Any]]]:
    """The answer's text and the citations the turn runner would store for it."""
    learner = library.learner
    context = TutorContext(
        user_id=learner.user_id, session_id=learner.session_id, message_id=0,
        topic_id=learner.topic_id, mode=mode, session_factory=harness.session_factory,
        bus=harness.bus, clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    agent = build_tutor_agent(mode=mode, model=LocalTutorModel())
    items = [*history, {"role": "user", "content": question}]
    result = await Runner.run(agent, items, context=context, max_turns=MAX_TURNS)
    text = str(result.final_output)
    library.last_shown = list(context.citations)
    return text, citations_to_store(text, context.citations)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def stores_only_what_it_cites(library: Library, text: str, stored: list[dict]) -> bool:
    """Every stored citation is cited, every citation cited is stored, every stored quote
    is text of its material, and every quote of the answer is in the citation it names."""
    if sorted(c["marker"] for c in stored) != sorted(cited_markers(text)):
        return False
    by_marker = {c["marker"]: c for c in stored}
    for citation in stored:
        chunks = library.chunks.get(citation["material_id"], [])
        if not any(citation["quote"] in chunk for chunk in chunks):
            return False
    for quote, marker in _QUOTE.findall(text):
        citation = by_marker.get(int(marker))
        if citation is None or find_verbatim(citation["quote"], quote) is None:
            return False
    return True


def judge_answer(library: Library, item: dict[str, str], text: str, stored: list[dict]) -> dict:
    """Whether the answer states the fact, cites the right material, stores only that."""
    needle = _plain(item["needle"])
    material_id = library.material_ids[item["file"]]
    states = needle in _plain(text)
    cites = any(c["material_id"] == material_id and needle in _plain(c["quote"]) for c in stored)
    only = stores_only_what_it_cites(library, text, stored)
    # Whether search showed the tutor the answering passage at all (retrieval's part).
    shown = any(
        c["material_id"] == material_id and needle in _plain(c["quote"]) for c in library.last_shown
    )
    return {
        "states": states, "cites": cites, "only_cited": only, "shown": shown,
        "ok": states and cites and only,
    }  # fmt: skip


FAILURE_CLASSES = (
    "answering passage not shown",  # search did not return it: retrieval's part
    "another passage quoted",  # shown, but the sentences chosen come from other passages
    "another sentence of the answering passage",  # the right passage, the wrong sentence
    "fact stated, citation wrong",  # the needle is in the text, no right citation holds it
    "stores other than it cites",  # markers, stored citations and quotes disagree
)


def failure_class(library: Library, item: dict[str, str], text: str, verdict: dict) -> str:
    """Why an answer judged not OK failed, from what a learner sees: one of
    FAILURE_CLASSES (the first that applies, in that order)."""
    needle = _plain(item["needle"])
    material_id = library.material_ids[item["file"]]
    answering = {
        number
        for number, shown in enumerate(library.last_shown, 1)
        if shown["material_id"] == material_id and needle in _plain(shown["quote"])
    }
    if not verdict["shown"]:
        return FAILURE_CLASSES[0]
    if not verdict["states"]:
        quoted = set(cited_markers(text))
        return FAILURE_CLASSES[2] if quoted & answering else FAILURE_CLASSES[1]
    if not verdict["cites"]:
        return FAILURE_CLASSES[3]
    return FAILURE_CLASSES[4]


def judge_outside(text: str, stored: list[dict]) -> bool:
    """A plain "not in your material" answer that quotes and stores nothing."""
    return text.startswith(NOT_COVERED) and not stored and not _QUOTE.search(text)
