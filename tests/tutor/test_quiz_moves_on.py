"""The quiz moves on: never the card just graded (unless it is the only one), plain-word
"skip", "next", "I don't know" and "stop", and fill-in-the-blanks that count as cards.
Driven through sendMessage with the offline tutor, as a learner would."""

from schema.relay import to_global_id
from tests.chat.helpers import send, wait_for_status
from tests.factories import make_card
from tests.tutor.helpers import make_learner
from tutor.offline import CARD_QUESTION, CLOZE_QUESTION

PROGRESS = """query($t: ID!) { topicProgress(topicId: $t) { reviewsCount cardsCount mastery } }"""
CARDS = """query($t: ID!) { cards(topicId: $t) { edges { node { front back reps
  source { quote material { filename } } } } } }"""
CARDS_FRONT_BACK = {
    "What does break do?": "It leaves the innermost loop.",
    "What does continue do?": "It goes on with the next iteration of the loop.",
}


async def reply(harness, learner, text: str) -> str:
    sent = await send(
        harness, learner.user_id, to_global_id("StudySession", learner.session_id), text
    )
    answer = await wait_for_status(
        harness, learner.user_id, sent["assistantMessage"]["id"], {"COMPLETE", "FAILED"}
    )
    assert answer["status"] == "COMPLETE", answer
    return answer["content"]


def asked_card(answer: str) -> str | None:
    if CARD_QUESTION not in answer:
        return None
    return answer.split(CARD_QUESTION, 1)[1].splitlines()[0].strip()


async def reviews(harness, learner) -> int:
    data = await harness.data(
        PROGRESS, {"t": to_global_id("Topic", learner.topic_id)}, user_id=learner.user_id
    )
    return data["topicProgress"]["reviewsCount"]


async def test_the_quiz_moves_on_and_understands_skip_dont_know_and_stop(harness):
    learner = await make_learner(harness, mode="QUIZ")
    for front, back in CARDS_FRONT_BACK.items():
        await make_card(
            harness, owner_id=learner.user_id, topic_id=learner.topic_id, front=front, back=back
        )
    first = asked_card(await reply(harness, learner, "Quiz me please"))
    assert first in CARDS_FRONT_BACK
    # A right answer is graded, and the next question is the other card, not this one.
    graded = await reply(harness, learner, CARDS_FRONT_BACK[first])
    assert graded.startswith("Your answer is rated EASY")
    second = asked_card(graded)
    assert second in CARDS_FRONT_BACK and second != first
    assert await reviews(harness, learner) == 1
    # "next one please" is a skip: not graded, and another card comes.
    skipped = await reply(harness, learner, "next one please")
    assert skipped.startswith("Skipped: not graded")
    assert asked_card(skipped) == first
    assert await reviews(harness, learner) == 1
    # "I don't know" is graded AGAIN and shows the answer; mastery is not full after it.
    unknown = await reply(harness, learner, "I don't know")
    assert unknown.startswith(
        f"No problem: rated AGAIN, so it comes back soon. The answer: {CARDS_FRONT_BACK[first]}"
    )
    assert "is now 100%" not in unknown
    assert await reviews(harness, learner) == 2
    # "stop" ends the quiz: nothing graded, nothing more asked.
    stopped = await reply(harness, learner, "OK, stop the quiz.")
    assert "Quiz stopped" in stopped and asked_card(stopped) is None
    assert CLOZE_QUESTION not in stopped
    assert await reviews(harness, learner) == 2
    # The stopped question is not graded later by an unrelated reply either.
    await reply(harness, learner, "It leaves the innermost loop.")
    assert await reviews(harness, learner) == 2


async def test_the_only_card_may_come_back(harness):
    learner = await make_learner(harness, mode="QUIZ")
    await make_card(
        harness, owner_id=learner.user_id, topic_id=learner.topic_id, front="2 + 2?", back="4"
    )
    assert asked_card(await reply(harness, learner, "quiz me")) == "2 + 2?"
    again = await reply(harness, learner, "4")
    assert again.startswith("Your answer is rated") and asked_card(again) == "2 + 2?"


async def test_an_answered_blank_becomes_a_scheduled_card_and_the_sentence_changes(harness):
    learner = await make_learner(harness, mode="QUIZ", chapter="tutorial-controlflow.md")
    topic = to_global_id("Topic", learner.topic_id)
    asked = await reply(harness, learner, "Quiz me on loops")
    cloze = asked.split(CLOZE_QUESTION)[1].splitlines()[0].strip()
    skipped = await reply(harness, learner, "skip")
    assert skipped.startswith("Skipped: not graded")
    after_skip = skipped.split(CLOZE_QUESTION)[1].splitlines()[0].strip()
    assert after_skip.split("_____")[0] != cloze.split("_____")[0]  # another sentence
    answered = await reply(harness, learner, "zebra")
    assert answered.startswith("Your answer is rated AGAIN. The expected answer: ")
    nxt = answered.split(CLOZE_QUESTION)[1].splitlines()[0].strip()
    assert nxt.split("_____")[0] != after_skip.split("_____")[0]
    progress = (await harness.data(PROGRESS, {"t": topic}, user_id=learner.user_id))[
        "topicProgress"
    ]
    assert (progress["cardsCount"], progress["reviewsCount"]) == (1, 1)
    (card,) = [
        e["node"]
        for e in (await harness.data(CARDS, {"t": topic}, user_id=learner.user_id))["cards"][
            "edges"
        ]
    ]
    assert card["front"] == "Fill in the blank: " + after_skip and card["reps"] == 1
    assert card["source"]["material"]["filename"] == "tutorial-controlflow.md"
    assert card["back"] in card["source"]["quote"]
