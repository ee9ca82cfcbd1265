"""Splitting and truncating text by the bytes it takes inside a JSON event."""

import json

import pytest

from tutor.stream.byte_bounds import json_bytes, split_by_bytes, truncate_by_bytes


@pytest.mark.parametrize(
    "text",
    ["plain words " * 1000, "€" * 3000, "🙂" * 2500, '"quoted"\\\n' * 900, "\x01" * 2000],
)
def test_pieces_rebuild_the_text_and_each_fits(text):
    pieces = split_by_bytes(text, 4000)
    assert "".join(pieces) == text
    assert len(pieces) > 1
    for piece in pieces:
        assert piece
        assert len(json.dumps(piece, ensure_ascii=False).encode()) - 2 <= 4000


def test_a_short_text_is_one_piece():
    assert split_by_bytes("a few words", 4000) == ["a few words"]


def test_truncation_keeps_the_start_within_the_bound():
    cut = truncate_by_bytes("€" * 1000, 100)
    assert cut.endswith("…") and cut.startswith("€" * 30)
    assert json_bytes(cut) <= 100
    assert truncate_by_bytes("short", 100) == "short"
