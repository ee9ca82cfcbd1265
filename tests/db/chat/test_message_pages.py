"""How a session's message page is asked for: first/after forward, last/before from the end."""

import pytest

from db.chat.messages import MessagePageRequest, message_page_request
from db.errors import BadUserInput
from db.pagination import MAX_PAGE_SIZE


def test_first_and_last_together_or_negative_are_refused():
    with pytest.raises(BadUserInput, match="either first or last"):
        message_page_request(first=1, after_id=None, last=1, before_id=None)
    for name in ("first", "last"):
        counts = {"first": None, "last": None, name: -1}
        with pytest.raises(BadUserInput, match=f"{name} must not be negative"):
            message_page_request(after_id=None, before_id=None, **counts)


def test_last_or_before_reads_from_the_end_and_sizes_are_capped():
    assert message_page_request(first=None, after_id=None, last=None, before_id=9) == (
        MessagePageRequest(first=20, before_id=9, from_end=True)
    )
    forward = message_page_request(first=10_000, after_id=3, last=None, before_id=None)
    assert forward == MessagePageRequest(first=MAX_PAGE_SIZE, after_id=3)


def test_from_the_end_more_rows_mean_an_earlier_page():
    backward = MessagePageRequest(first=2, from_end=True)
    assert (backward.page([], True).has_next, backward.page([], True).has_previous) == (
        False,
        True,
    )
    forward = MessagePageRequest(first=2, after_id=5)
    assert (forward.page([], True).has_next, forward.page([], True).has_previous) == (True, True)
