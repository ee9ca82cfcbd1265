"""The offline tutor teaches: each case is a failure seen when it listed search hits.

Every turn runs through the real runner over real uploaded chapters, on both databases;
the assertions are on what the learner reads and what the message stores.
"""

import re

from tests.materials.helpers import DATA
from tests.tutor.helpers import make_learner, run_turn, upload
from tutor.citations import cited_markers, find_verbatim
from tutor.offline import LocalTutorModel
from tutor.offline.wording import NOT_COVERED

QUOTE = re.compile(r"“([^\n]+?)” \[(\d+)\]")


def quotes(text: str) -> list[str]:
    return [quote for quote, _ in QUOTE.findall(text)]


def user(content: str) -> dict:
    return {"role": "user", "content": content}


async def ask(harness, learner, *history, mode="EXPLAIN"):
    return await run_turn(harness, learner, LocalTutorModel(), list(history), mode=mode)


async def test_exception_chaining_is_explained_from_its_own_sentences(harness):
    # Seen: three unrelated quotes.
    learner = await make_learner(harness, chapter="tutorial-errors.md")
    turn = await ask(harness, learner, user("Explain exceptions chaining"))
    quoted = quotes(turn.text)
    assert quoted and all("chaining" in quote for quote in quoted), turn.text


async def test_only_what_the_answer_cites_is_stored(harness):
    # Seen: five citations stored while the text cited one to three.
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    turn = await ask(harness, learner, user("What does the break statement do in a loop?"))
    shown = turn.tool_calls[1]["output"].count("<passage ")
    assert sorted(c["marker"] for c in turn.citations) == sorted(cited_markers(turn.text))
    assert 1 <= len(turn.citations) < shown
    # Each stored quote is narrowed to what the answer quoted from that passage.
    by_marker = {c["marker"]: c["quote"] for c in turn.citations}
    for quote, marker in QUOTE.findall(turn.text):
        stored = by_marker[int(marker)]
        assert find_verbatim(stored, quote) is not None
        assert len(stored) < len(quote) + 400  # the sentence(s), not the whole chunk


async def test_a_quote_that_introduces_code_keeps_the_code(harness):
    # Seen: a quote ending in ":" without the code it introduces.
    learner = await make_learner(harness, chapter="tutorial-errors.md")
    turn = await ask(harness, learner, user("Explain exceptions chaining"))
    introducing = [quote for quote in quotes(turn.text) if quote.endswith(":")]
    assert introducing, turn.text
    after = turn.text.split(introducing[0], 1)[1]
    assert re.match(r"” \[\d+\]\n\n```python\n.*raise", after, re.DOTALL), turn.text


async def test_a_question_the_material_does_not_cover_is_said_plainly(harness):
    # Seen: "What is the capital of France?" answered with "This line should begin with
    # a capital letter".
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    turn = await ask(harness, learner, user("What is the capital of France?"))
    assert turn.text.startswith(NOT_COVERED), turn.text
    assert "capital letter" not in turn.text
    assert not quotes(turn.text)
    assert turn.citations == []
    assert "What it does cover includes:" in turn.text


async def test_a_follow_up_continues_the_previous_subject(harness):
    # Seen: "Can you show me a short code example of that?" searched as a new question.
    learner = await make_learner(harness, chapter="tutorial-errors.md")
    first = await ask(harness, learner, user("Explain exceptions chaining"))
    turn = await ask(
        harness,
        learner,
        user("Explain exceptions chaining"),
        {"role": "assistant", "content": first.text},
        user("Can you show me a short code example of that?"),
    )
    search = next(call for call in turn.tool_calls if call["name"] == "search_material")
    assert search["arguments"] == {"query": "Explain exceptions chaining"}
    assert "```python" in turn.text and "from" in turn.text.split("```python", 1)[1]
    assert [c["marker"] for c in turn.citations] == cited_markers(turn.text)


async def test_a_summary_follows_the_sections_of_one_document_in_order(harness):
    # Seen: six sentences with no thread, mixed from several chapters.
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    pdf = "tutorial-modules.pdf"
    await upload(harness, learner, pdf, (DATA / pdf).read_bytes())
    turn = await ask(harness, learner, user("Summarize the modules chapter"), mode="SUMMARIZE")
    assert turn.text.startswith(f"Summary of {pdf}, section by section"), turn.text
    titles = re.findall(r"^\*\*(\d+(?:\.\d+)*)\.", turn.text, re.M)
    assert len(titles) >= 2, turn.text
    numbers = [tuple(int(part) for part in title.split(".")) for title in titles]
    assert numbers == sorted(numbers)  # the document's order
    assert len({c["material_id"] for c in turn.citations}) == 1


BREAK = "What does the break statement do in a loop?"
ANSWER = "breaks out of the innermost enclosing"


def hinted(tries: int) -> list[dict]:
    """A Socratic thread on BREAK after `tries` hints (the hint's own closing line)."""
    hint = f"Hint: look at [1].\n(Socratic try {tries} of 3 on: “{BREAK}”)"
    return [user(BREAK), {"role": "assistant", "content": hint}]


async def test_socratic_reads_a_wrong_reply_and_gives_the_next_hint(harness):
    # Seen: "reply and I will tell you whether you are on track", then the reply ignored.
    learner = await make_learner(harness, chapter="tutorial-controlflow.md", mode="SOCRATIC")
    turn = await ask(
        harness, learner, *hinted(1), user("it skips to the next item"), mode="SOCRATIC"
    )
    assert "What you have right:" in turn.text
    assert "What is missing: what [1] says about “innermost”" in turn.text
    assert "(Socratic try 2 of 3" in turn.text
    assert ANSWER not in turn.text  # still a hint, not the answer


async def test_socratic_confirms_a_right_reply_against_the_passage(harness):
    learner = await make_learner(harness, chapter="tutorial-controlflow.md", mode="SOCRATIC")
    reply = user("it leaves the innermost enclosing loop")
    turn = await ask(harness, learner, *hinted(1), reply, mode="SOCRATIC")
    assert turn.text.startswith("You're on track: you have “innermost”, “enclosing”")
    assert ANSWER in turn.text
    assert [c["marker"] for c in turn.citations] == [1]


async def test_socratic_gives_the_answer_after_three_tries(harness):
    learner = await make_learner(harness, chapter="tutorial-controlflow.md", mode="SOCRATIC")
    turn = await ask(harness, learner, *hinted(3), user("no idea"), mode="SOCRATIC")
    assert "After 3 tries, here is the answer" in turn.text
    assert ANSWER in turn.text
    assert "Socratic try" not in turn.text  # the thread is over


async def test_the_tutor_stays_honest_that_it_is_not_a_language_model(harness):
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    turn = await ask(harness, learner, user(BREAK))
    assert "it is not a language model" in turn.text
