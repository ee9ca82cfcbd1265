"""Which citations an answer stores: exactly those its [n] markers cite, quotes verbatim."""

from tutor.citations import citations_to_store, cited_markers, find_verbatim

CHUNK = (
    "## 4.4. `break` and `continue` Statements\n\n"
    "The `break` statement, like in C, breaks out of the innermost enclosing\n"
    "`for` or `while` loop. Loop statements may have an `else` clause."
)
SHOWN = [
    {"material_id": 1, "chunk_id": 10, "start_offset": 0, "end_offset": 9, "quote": "unrelated"},
    {"material_id": 1, "chunk_id": 11, "start_offset": 500, "end_offset": 680, "quote": CHUNK},
    {"material_id": 2, "chunk_id": 12, "start_offset": 0, "end_offset": 5, "quote": "other"},
]


def test_markers_are_read_in_every_form_models_write():
    assert cited_markers("A [2], then [1][3] and [2, 4]; not [x] nor [].") == [2, 1, 3, 4]


def test_brackets_in_code_the_answer_shows_are_not_citations():
    text = (
        "> “The following list comprehension will transpose rows and columns:” [2]\n\n"
        "```python\n>>> [[row[i] for row in matrix] for i in range(4)]\n"
        "[[1, 5, 9], [2, 6, 10], [3, 7, 11]]\n```\n"
        "Indexing with `a[1]` or `[3]` is code too; [1] is a citation."
    )
    assert cited_markers(text) == [2, 1]
    assert [c["marker"] for c in citations_to_store(text, SHOWN)] == [1, 2]


def test_only_the_passages_the_text_cites_are_stored_with_their_marker():
    stored = citations_to_store("Use break to leave a loop [2].", SHOWN)
    assert [(c["chunk_id"], c["marker"]) for c in stored] == [(11, 2)]


def test_an_answer_citing_nothing_stores_nothing():
    assert citations_to_store("I could not find that in your material.", SHOWN) == []


def test_a_marker_naming_no_shown_passage_stores_nothing():
    assert citations_to_store("As [7] says, and [0].", SHOWN) == []


def test_a_verbatim_quote_narrows_the_citation_to_its_sentence():
    text = (
        "> “The break statement, like in C, breaks out of the innermost enclosing for or "
        "while loop.” [2]"
    )
    [citation] = citations_to_store(text, SHOWN)
    start = CHUNK.index("The `break`")
    end = CHUNK.index("loop.") + len("loop.")
    assert citation["quote"] == CHUNK[start:end]
    assert (citation["start_offset"], citation["end_offset"]) == (500 + start, 500 + end)


def test_a_quote_the_passage_does_not_hold_is_never_stored():
    text = "“The break statement ends the whole program immediately.” [2]"
    [citation] = citations_to_store(text, SHOWN)
    # The citation stays the material's own text; the invented quote is not stored.
    assert citation["quote"] == CHUNK
    assert "whole program" not in citation["quote"]


def test_a_quote_with_quoted_words_inside_is_read_whole():
    chunk = "Packages are a way of structuring the namespace by using “dotted module names”."
    shown = [{"material_id": 1, "chunk_id": 1, "start_offset": 0, "quote": "Intro. " + chunk}]
    text = f"“{chunk}” [1]"
    [citation] = citations_to_store(text, shown)
    assert citation["quote"] == chunk


def test_verbatim_allows_markdown_and_line_breaks_but_not_other_words():
    assert find_verbatim(CHUNK, "breaks out of the innermost enclosing for or while loop")
    assert find_verbatim(CHUNK, "breaks out of the outermost enclosing for loop") is None
