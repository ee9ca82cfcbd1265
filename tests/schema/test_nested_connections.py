"""A topic's nested connections and progress: no page read for a bare totalCount, and
no task per topic when the topics resolver has loaded what their fields ask for."""

import asyncio
from collections import Counter

from db.engine import unit_of_work
from db.materials import library
from db.types import utcnow
from tests.dashboard import DASHBOARD_QUERY, seed_dashboard_topics
from tests.factories import make_topic, make_user

COUNT_ONLY = "{ topics { edges { node { materials { totalCount } } } } }"


async def topic_with_materials(harness, count: int):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    async with unit_of_work(harness.session_factory) as session:
        for number in range(count):
            await library.create_material(
                session,
                owner_id=me.user.id,
                topic_id=topic.id,
                filename=f"notes-{number}.txt",
                data=b"Lists keep items in order.\n",
            )
    return me


async def test_a_bare_total_count_reads_no_page(harness, count_statements):
    me = await topic_with_materials(harness, 3)
    counter = count_statements()
    data = await harness.data(COUNT_ONLY, user_id=me.user.id)
    assert data["topics"]["edges"][0]["node"]["materials"] == {"totalCount": 3}
    material_reads = [sql for sql in counter.statements if "study_materials" in sql]
    assert len(material_reads) == 1, material_reads
    # A count, not a page of rows with their filenames.
    assert "count(" in material_reads[0].lower()
    assert "filename" not in material_reads[0]


async def test_count_and_page_of_one_topic_in_one_query(harness):
    me = await topic_with_materials(harness, 3)
    query = """
    { topics { edges { node {
        counted: materials { totalCount }
        listed: materials(first: 2) { totalCount edges { node { filename } } }
        spread: materials { ...Counted }
    } } } }
    fragment Counted on StudyMaterialConnection { totalCount }
    """
    node = (await harness.data(query, user_id=me.user.id))["topics"]["edges"][0]["node"]
    assert node["counted"] == {"totalCount": 3}
    assert node["spread"] == {"totalCount": 3}
    assert node["listed"]["totalCount"] == 3
    assert [edge["node"]["filename"] for edge in node["listed"]["edges"]] == [
        "notes-2.txt",
        "notes-1.txt",
    ]


async def test_a_bad_cursor_is_refused_even_when_only_counting(harness):
    me = await topic_with_materials(harness, 1)
    query = '{ topics { edges { node { materials(after: "nope") { totalCount } } } } }'
    result = await harness.execute(query, user_id=me.user.id)
    assert result.errors, result.data
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


class TaskCounter:
    """A task factory that counts the tasks the event loop creates for the query's work.

    Tasks that close a session or a connection are left out: SQLAlchemy schedules them
    when the pool hands connections back, and under load that can take one more or
    one fewer, whatever the number of topics.
    """

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, loop, coro, **kwargs):
        name = getattr(coro, "__qualname__", type(coro).__name__)
        if not name.endswith(".close"):
            self.names.append(name)
        return asyncio.Task(coro, loop=loop, **kwargs)


async def dashboard_tasks(harness, topic_count: int) -> tuple[list[str], dict]:
    """The tasks one dashboard query creates, the fewest of three runs.

    Timing can only add tasks (a DataLoader batch split across two loop turns on a
    loaded machine), never remove them, so the fewest is the query's own number.
    """
    me = await make_user(harness)
    await seed_dashboard_topics(
        harness.session_factory, owner_id=me.user.id, topic_count=topic_count, now=utcnow()
    )
    await harness.data(DASHBOARD_QUERY, user_id=me.user.id)  # connections warmed up
    loop = asyncio.get_running_loop()
    runs = []
    for _ in range(3):
        counter, previous = TaskCounter(), loop.get_task_factory()
        loop.set_task_factory(counter)
        try:
            data = await harness.data(DASHBOARD_QUERY, user_id=me.user.id)
        finally:
            loop.set_task_factory(previous)
        runs.append(counter.names)
    return min(runs, key=len), data


async def test_dashboard_tasks_do_not_grow_with_the_topics(harness):
    # Both learners get five next-up topics, so only the page of topics differs.
    few, few_data = await dashboard_tasks(harness, 6)
    many, many_data = await dashboard_tasks(harness, 25)
    assert len(few_data["topics"]["edges"]) == 6
    assert len(many_data["topics"]["edges"]) == 20
    node = many_data["topics"]["edges"][0]["node"]
    assert node["materials"] == {"totalCount": 1}
    assert node["progress"]["cardsCount"] == 3
    assert len(few) == len(many), (
        f"{len(few)} tasks for 6 topics, {len(many)} for 25; only for 25: "
        f"{Counter(many) - Counter(few)}, only for 6: {Counter(few) - Counter(many)}"
    )


async def test_progress_through_a_fragment_is_the_same(harness):
    me = await make_user(harness)
    await seed_dashboard_topics(
        harness.session_factory, owner_id=me.user.id, topic_count=3, now=utcnow()
    )
    direct = """{ topics { edges { node { id progress { cardsCount reviewsCount mastery }
                  materials { totalCount } } } } }"""
    spread = """{ topics { edges { node { ...Facts } } } }
    fragment Facts on Topic { id progress { cardsCount reviewsCount mastery }
                              materials { totalCount } }"""
    first = await harness.data(direct, user_id=me.user.id)
    second = await harness.data(spread, user_id=me.user.id)
    assert first == second
    assert first["topics"]["edges"][0]["node"]["progress"]["reviewsCount"] == 3
