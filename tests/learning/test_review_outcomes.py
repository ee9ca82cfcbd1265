"""Card.reviewOutcomes: for each rating, when the card would come back, before the
learner picks one; the preview is exactly what the review then stores."""

from datetime import UTC, datetime

from schema.relay import to_global_id
from tests.factories import make_topic, make_user

CREATE = """mutation($t: ID!) {
  createCard(input: {topicId: $t, front: "Q?", back: "A."}) { id } }"""
OUTCOMES = """{ cards(first: 1) { edges { node { due reviewOutcomes { rating due state } } } } }"""
REVIEW = """mutation($c: ID!, $r: ReviewRating!) {
  reviewCard(input: {cardId: $c, rating: $r}) { due state } }"""


async def test_each_rating_previews_what_its_review_stores(harness):
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    card = await harness.data(CREATE, {"t": to_global_id("Topic", topic.id)}, user_id=me.id)
    card_id = card["createCard"]["id"]
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    harness.clock = lambda: now
    for rating in ("GOOD", "AGAIN"):  # a new card, then one in the review state
        data = await harness.data(OUTCOMES, user_id=me.id)
        outcomes = data["cards"]["edges"][0]["node"]["reviewOutcomes"]
        assert [o["rating"] for o in outcomes] == ["AGAIN", "HARD", "GOOD", "EASY"]
        dues = [datetime.fromisoformat(o["due"]) for o in outcomes]
        assert dues == sorted(dues) and dues[0] < dues[-1]
        assert all(due > now for due in dues)
        [chosen] = [o for o in outcomes if o["rating"] == rating]
        stored = await harness.data(REVIEW, {"c": card_id, "r": rating}, user_id=me.id)
        assert stored["reviewCard"] == {"due": chosen["due"], "state": chosen["state"]}
        now = datetime.fromisoformat(stored["reviewCard"]["due"])
