"""Global IDs and cursors decode only in the form the API hands out: one row, one ID."""

import base64

import pytest

from db.errors import BadUserInput
from schema.relay import decode_cursor, encode_cursor, from_global_id, to_global_id
from tests.factories import make_topic, make_user


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Each of these decodes to "Topic" and an int() of 1 with a loose decoder.
LOOKALIKE_IDS = {
    "space before the digits": _encoded("Topic: 1"),
    "space after the digits": _encoded("Topic:1 "),
    "tab": _encoded("Topic:\t1"),
    "leading zero": _encoded("Topic:01"),
    "plus sign": _encoded("Topic:+1"),
    "underscore": _encoded("Topic:1_0"),  # int("1_0") == 10
    "arabic-indic digit": _encoded("Topic:\u0661"),
    "fullwidth digit": _encoded("Topic:\uff11"),
    "devanagari digit": _encoded("Topic:\u0967"),
    # "Topic:1" is VG9waWM6MQ==; the last character before the padding carries spare
    # bits that a lenient decoder ignores.
    "spare base64 bits": "VG9waWM6MR==",
    "missing padding": "VG9waWM6MQ",
}


@pytest.mark.parametrize("spelling", LOOKALIKE_IDS.values(), ids=LOOKALIKE_IDS.keys())
def test_a_lookalike_id_is_refused(spelling):
    assert spelling != to_global_id("Topic", 1)
    with pytest.raises(BadUserInput, match="not a valid ID"):
        from_global_id(spelling)


def test_the_canonical_id_still_decodes():
    assert from_global_id(to_global_id("Topic", 1)) == ("Topic", 1)
    assert from_global_id(to_global_id("Message", 2**31 - 1)) == ("Message", 2**31 - 1)


LOOKALIKE_CURSORS = {
    "leading zero": base64.urlsafe_b64encode(b"cursor:05").decode(),
    "space": base64.urlsafe_b64encode(b"cursor: 5").decode(),
    "arabic-indic digit": base64.urlsafe_b64encode("cursor:\u0665".encode()).decode(),
    "standard alphabet with spare bits": "Y3Vyc29yOjV=",
}


@pytest.mark.parametrize("spelling", LOOKALIKE_CURSORS.values(), ids=LOOKALIKE_CURSORS.keys())
def test_a_lookalike_cursor_is_refused(spelling):
    assert spelling != encode_cursor(5)
    with pytest.raises(BadUserInput, match="not a valid cursor"):
        decode_cursor(spelling)
    assert decode_cursor(encode_cursor(5)) == 5


async def test_no_lookalike_reaches_a_topic_over_graphql(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    query = "query($id: ID!) { topic(id: $id) { id } node(id: $id) { id } }"
    canonical = to_global_id("Topic", topic.id)
    assert (await harness.data(query, {"id": canonical}, user_id=me.user.id))["topic"]
    for suffix in (f" {topic.id}", f"0{topic.id}", f"+{topic.id}", "\u0660" * 2 + str(topic.id)):
        result = await harness.execute(
            query, {"id": _encoded(f"Topic:{suffix}")}, user_id=me.user.id
        )
        assert result.errors, suffix
        assert {error.extensions["code"] for error in result.errors} == {"BAD_USER_INPUT"}
