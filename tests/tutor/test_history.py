"""The history a turn sends to the model: its own branch of the message tree, capped."""

from db.chat.history import GO_DEEPER_PROMPT, HISTORY_MAX_MESSAGES, build_history
from db.engine import unit_of_work
from tests.tutor.helpers import add_message, make_learner


async def test_history_follows_the_answers_branch_not_its_siblings(harness, count_statements):
    learner = await make_learner(harness)
    first_question = await add_message(harness, learner, "USER", "What is a loop?")
    first_answer = await add_message(
        harness, learner, "ASSISTANT", "A loop repeats.", parent_id=first_question.id
    )
    question = await add_message(harness, learner, "USER", "And break?", parent_id=first_answer.id)
    # Two answers to the same question (a regenerate): neither sees the other.
    await add_message(harness, learner, "ASSISTANT", "Sibling answer.", parent_id=question.id)
    answer = await add_message(
        harness, learner, "ASSISTANT", "", parent_id=question.id, status="PENDING"
    )

    counter = count_statements()
    async with unit_of_work(harness.session_factory) as session:
        history = await build_history(session, answer=answer)
    assert counter.count == 1, counter.statements
    assert history == [
        {"role": "user", "content": "What is a loop?"},
        {"role": "assistant", "content": "A loop repeats."},
        {"role": "user", "content": "And break?"},
    ]


async def test_an_answer_stopped_before_its_first_word_is_left_out(harness):
    learner = await make_learner(harness)
    question = await add_message(harness, learner, "USER", "What is a loop?")
    stopped = await add_message(
        harness, learner, "ASSISTANT", "", parent_id=question.id, status="CANCELLED"
    )
    again = await add_message(harness, learner, "USER", "Loops, please.", parent_id=stopped.id)
    answer = await add_message(
        harness, learner, "ASSISTANT", "", parent_id=again.id, status="PENDING"
    )
    async with unit_of_work(harness.session_factory) as session:
        history = await build_history(session, answer=answer)
    assert history == [
        {"role": "user", "content": "What is a loop?"},
        {"role": "user", "content": "Loops, please."},
    ]


async def test_going_deeper_asks_for_more_on_the_answer_it_follows(harness):
    learner = await make_learner(harness)
    question = await add_message(harness, learner, "USER", "What is recursion?")
    answered = await add_message(
        harness, learner, "ASSISTANT", "A function calling itself.", parent_id=question.id
    )
    deeper = await add_message(
        harness, learner, "ASSISTANT", "", parent_id=answered.id, status="PENDING"
    )
    async with unit_of_work(harness.session_factory) as session:
        history = await build_history(session, answer=deeper)
    assert history[-2:] == [
        {"role": "assistant", "content": "A function calling itself."},
        {"role": "user", "content": GO_DEEPER_PROMPT},
    ]


async def test_history_keeps_only_the_most_recent_messages(harness):
    learner = await make_learner(harness)
    parent_id = None
    for number in range(HISTORY_MAX_MESSAGES + 7):  # ends with a question
        role = "USER" if number % 2 == 0 else "ASSISTANT"
        row = await add_message(harness, learner, role, f"message {number}", parent_id=parent_id)
        parent_id = row.id
    answer = await add_message(
        harness, learner, "ASSISTANT", "", parent_id=parent_id, status="PENDING"
    )
    async with unit_of_work(harness.session_factory) as session:
        history = await build_history(session, answer=answer)
    assert [item["content"] for item in history] == [
        f"message {number}" for number in range(7, HISTORY_MAX_MESSAGES + 7)
    ]


async def test_history_never_crosses_to_another_users_rows(harness):
    mine = await make_learner(harness)
    theirs = await make_learner(harness)
    their_question = await add_message(harness, theirs, "USER", "Their secret question")
    # A corrupt parent link into another user's tree stops the walk there.
    answer = await add_message(
        harness, mine, "ASSISTANT", "", parent_id=their_question.id, status="PENDING"
    )
    async with unit_of_work(harness.session_factory) as session:
        assert await build_history(session, answer=answer) == []
