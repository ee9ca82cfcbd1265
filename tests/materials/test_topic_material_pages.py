"""A topic's `materials` connection: pages and totalCount read in one statement."""

from db.engine import unit_of_work
from db.materials import library
from tests.factories import make_topic, make_user

PAGES = """
query($after: String) {
  topics { edges { node { title materials(first: 2, after: $after) {
    totalCount
    edges { cursor node { filename } }
    pageInfo { hasNextPage hasPreviousPage }
  } } } }
}
"""


async def _upload(harness, owner_id: int, topic_id: int, names: list[str]) -> None:
    async with unit_of_work(harness.session_factory) as session:
        for name in names:
            await library.create_material(
                session, owner_id=owner_id, topic_id=topic_id, filename=name, data=b"text\n"
            )


async def test_pages_and_total_counts_per_topic_also_after_a_cursor(harness):
    me, other = await make_user(harness), await make_user(harness)
    full = await make_topic(harness, owner_id=me.user.id, title="Full")
    await make_topic(harness, owner_id=me.user.id, title="Empty")
    theirs = await make_topic(harness, owner_id=other.user.id, title="Theirs")
    await _upload(harness, me.user.id, full.id, ["a.txt", "b.txt", "c.txt"])
    await _upload(harness, other.user.id, theirs.id, ["x.txt"])

    first = await harness.data(PAGES, user_id=me.user.id)
    nodes = {edge["node"]["title"]: edge["node"] for edge in first["topics"]["edges"]}
    assert set(nodes) == {"Full", "Empty"}
    page = nodes["Full"]["materials"]
    assert page["totalCount"] == 3
    assert [edge["node"]["filename"] for edge in page["edges"]] == ["c.txt", "b.txt"]
    assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert nodes["Empty"]["materials"]["totalCount"] == 0
    assert nodes["Empty"]["materials"]["edges"] == []

    # After a cursor the page's window sees fewer rows: totalCount still counts them all.
    after = page["edges"][-1]["cursor"]
    second = await harness.data(PAGES, {"after": after}, user_id=me.user.id)
    nodes = {edge["node"]["title"]: edge["node"] for edge in second["topics"]["edges"]}
    page = nodes["Full"]["materials"]
    assert page["totalCount"] == 3
    assert [edge["node"]["filename"] for edge in page["edges"]] == ["a.txt"]
    assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
