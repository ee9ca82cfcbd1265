"""Bad numbers are BAD_USER_INPUT naming the argument, never silently clamped."""

import pytest

from schema.relay import to_global_id
from tests.factories import make_topic, make_user

TOPIC = "__TOPIC__"

CASES = [
    ("{ nextUpTopics(limit: 0) { score } }", "limit"),
    ("{ nextUpTopics(limit: -3) { score } }", "limit"),
    ("{ nextUpTopics(limit: 51) { score } }", "limit"),
    ("{ improvementAreas(limit: 0) { mastery } }", "limit"),
    ("{ improvementAreas(limit: 1000) { mastery } }", "limit"),
    ("{ studyPlan(days: 0) { generatedAt } }", "days"),
    ("{ studyPlan(days: 61) { generatedAt } }", "days"),
    ("{ studyPlan(days: 7, minutesPerDay: 0) { generatedAt } }", "minutesPerDay"),
    ("{ studyPlan(days: 7, minutesPerDay: 100000) { generatedAt } }", "minutesPerDay"),
    (f'mutation {{ generateCards(topicId: "{TOPIC}", count: 0) {{ id }} }}', "count"),
    (f'mutation {{ generateCards(topicId: "{TOPIC}", count: 21) {{ id }} }}', "count"),
    ('{ studyMetrics(from: "2026-03-02", to: "2026-03-01") { totalMinutes } }', "from"),
    ('{ studyMetrics(from: "2024-01-01", to: "2026-03-01") { totalMinutes } }', "from"),
    ("{ cards(first: -1) { totalCount } }", "first"),
    ('{ studyMetrics(from: "9999-12-30", to: "9999-12-31") { totalMinutes } }', "from"),
    ('{ studyMetrics(to: "0001-01-02") { totalMinutes } }', "to"),
]


@pytest.mark.parametrize(("query", "field"), CASES)
async def test_bad_numbers_are_bad_user_input_with_the_field(harness, query, field):
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    result = await harness.execute(
        query.replace(TOPIC, to_global_id("Topic", topic.id)), user_id=me.id
    )
    assert result.errors, result.data
    (error,) = result.errors
    assert error.extensions["code"] == "BAD_USER_INPUT", error
    assert error.extensions["field"] == field


@pytest.mark.parametrize("limit", [0, 51])
async def test_a_bad_next_up_limit_is_refused_before_any_read(harness, count_statements, limit):
    me = (await make_user(harness)).user
    counter = count_statements()
    result = await harness.execute(f"{{ nextUpTopics(limit: {limit}) {{ score }} }}", user_id=me.id)
    assert result.errors and result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert counter.count == 0, counter.statements
