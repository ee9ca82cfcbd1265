"""Topics through schema.execute, on both databases."""

from schema.relay import to_global_id
from tests.factories import make_session, make_topic, make_user

CREATE = """
mutation($input: CreateTopicInput!) {
  createTopic(input: $input) { id title description createdAt updatedAt }
}"""
LIST = """
query($first: Int, $after: String, $search: String) {
  topics(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title } }
  }
}"""


async def test_create_and_read_back(harness):
    me = await make_user(harness)
    created = (
        await harness.data(
            CREATE,
            {"input": {"title": "  Recursion  ", "description": "base cases"}},
            user_id=me.user.id,
        )
    )["createTopic"]
    assert created["title"] == "Recursion"
    assert created["createdAt"].endswith("+00:00")
    read = await harness.data(
        "query($id: ID!) { topic(id: $id) { title description } }",
        {"id": created["id"]},
        user_id=me.user.id,
    )
    assert read["topic"] == {"title": "Recursion", "description": "base cases"}


async def test_pages_newest_first_with_cursors(harness):
    me = await make_user(harness)
    for number in range(1, 6):
        await make_topic(harness, owner_id=me.user.id, title=f"Topic {number}")
    first = (await harness.data(LIST, {"first": 2}, user_id=me.user.id))["topics"]
    assert [edge["node"]["title"] for edge in first["edges"]] == ["Topic 5", "Topic 4"]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = (
        await harness.data(
            LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]}, user_id=me.user.id
        )
    )["topics"]
    assert [edge["node"]["title"] for edge in rest["edges"]] == ["Topic 3", "Topic 2", "Topic 1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True


async def test_first_is_capped_at_100_and_defaults_to_20(harness):
    me = await make_user(harness)
    for number in range(105):
        await make_topic(harness, owner_id=me.user.id, title=f"T{number}")
    default = (await harness.data(LIST, {}, user_id=me.user.id))["topics"]
    capped = (await harness.data(LIST, {"first": 500}, user_id=me.user.id))["topics"]
    assert len(default["edges"]) == 20
    assert len(capped["edges"]) == 100
    assert capped["totalCount"] == 105


async def test_search_matches_title_or_description_case_insensitively(harness):
    me = await make_user(harness)
    await make_topic(harness, owner_id=me.user.id, title="Linear Algebra")
    await make_topic(harness, owner_id=me.user.id, title="Python", description="about ALGEBRA too")
    await make_topic(harness, owner_id=me.user.id, title="History")
    await make_topic(harness, owner_id=me.user.id, title="100% pure")
    found = (await harness.data(LIST, {"search": "algebra"}, user_id=me.user.id))["topics"]
    assert sorted(edge["node"]["title"] for edge in found["edges"]) == ["Linear Algebra", "Python"]
    assert found["totalCount"] == 2
    # LIKE wildcards in the search are literal characters.
    percent = (await harness.data(LIST, {"search": "%"}, user_id=me.user.id))["topics"]
    assert [edge["node"]["title"] for edge in percent["edges"]] == ["100% pure"]
    assert percent["totalCount"] == 1
    # So are `_` and the escape character the statement uses (`/`).
    await make_topic(harness, owner_id=me.user.id, title="snake_case and a/b")
    for term in ("e_c", "a/b"):
        found = (await harness.data(LIST, {"search": term}, user_id=me.user.id))["topics"]
        assert [edge["node"]["title"] for edge in found["edges"]] == ["snake_case and a/b"], term
        assert found["totalCount"] == 1, term
    # A pattern the wildcards would match, if they were wildcards: no topic.
    for term in ("a_e", "a%b", "a//b"):
        found = (await harness.data(LIST, {"search": term}, user_id=me.user.id))["topics"]
        assert found["edges"] == [] and found["totalCount"] == 0, term


async def test_update_keeps_omitted_fields_and_null_clears_description(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id, title="Old", description="desc")
    update = """
    mutation($id: ID!, $input: UpdateTopicInput!) {
      updateTopic(id: $id, input: $input) { title description updatedAt createdAt }
    }"""
    topic_id = to_global_id("Topic", topic.id)
    renamed = (
        await harness.data(update, {"id": topic_id, "input": {"title": "New"}}, user_id=me.user.id)
    )["updateTopic"]
    assert (renamed["title"], renamed["description"]) == ("New", "desc")
    assert renamed["updatedAt"] >= renamed["createdAt"]
    cleared = (
        await harness.data(
            update, {"id": topic_id, "input": {"description": None}}, user_id=me.user.id
        )
    )["updateTopic"]
    assert (cleared["title"], cleared["description"]) == ("New", None)


async def test_delete_detaches_sessions_and_returns_the_id(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    study = await make_session(harness, owner_id=me.user.id, topic_id=topic.id)
    topic_id = to_global_id("Topic", topic.id)
    deleted = await harness.data(
        "mutation($id: ID!) { deleteTopic(id: $id) }", {"id": topic_id}, user_id=me.user.id
    )
    assert deleted == {"deleteTopic": topic_id}
    session = await harness.data(
        "query($id: ID!) { studySession(id: $id) { title topic { id } } }",
        {"id": to_global_id("StudySession", study.id)},
        user_id=me.user.id,
    )
    assert session["studySession"] == {"title": "Python", "topic": None}
    result = await harness.execute(
        "query($id: ID!) { topic(id: $id) { id } }", {"id": topic_id}, user_id=me.user.id
    )
    assert result.errors[0].extensions["code"] == "NOT_FOUND"


async def test_bad_input_is_rejected_with_codes(harness):
    me = await make_user(harness)
    empty = await harness.execute(CREATE, {"input": {"title": "   "}}, user_id=me.user.id)
    assert empty.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "title"}
    long = await harness.execute(CREATE, {"input": {"title": "x" * 201}}, user_id=me.user.id)
    assert long.errors[0].extensions["code"] == "BAD_USER_INPUT"
    bad_cursor = await harness.execute(LIST, {"after": "not-a-cursor"}, user_id=me.user.id)
    assert bad_cursor.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "after"}
    negative = await harness.execute(LIST, {"first": -1}, user_id=me.user.id)
    assert negative.errors[0].extensions["code"] == "BAD_USER_INPUT"
    wrong_kind = await harness.execute(
        "query($id: ID!) { topic(id: $id) { id } }",
        {"id": to_global_id("StudySession", 1)},
        user_id=me.user.id,
    )
    assert wrong_kind.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_search_folds_case_beyond_ascii(harness):
    me = await make_user(harness)
    await make_topic(harness, owner_id=me.user.id, title="Émile Durkheim")
    await make_topic(harness, owner_id=me.user.id, title="ÄRZTE und Straße")
    for term, expected in (
        ("émile", ["Émile Durkheim"]),
        ("ÉMILE", ["Émile Durkheim"]),
        ("ärzte", ["ÄRZTE und Straße"]),
    ):
        found = (await harness.data(LIST, {"search": term}, user_id=me.user.id))["topics"]
        assert [edge["node"]["title"] for edge in found["edges"]] == expected, term


async def test_ids_cursors_and_text_outside_what_the_database_holds(harness):
    # Each would overflow a driver parameter or be refused by PostgreSQL: a client
    # mistake, so BAD_USER_INPUT, never an internal error.
    import base64

    me = await make_user(harness)
    huge_id = base64.b64encode(b"Topic:2147483648").decode()
    huge_cursor = base64.urlsafe_b64encode(f"cursor:{2**40}".encode()).decode()
    cases = [
        ("query($id: ID!) { topic(id: $id) { id } }", {"id": huge_id}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": huge_id}),
        (LIST, {"after": huge_cursor}),
        (LIST, {"search": "nul\x00byte"}),
        (CREATE, {"input": {"title": "nul\x00byte"}}),
    ]
    for query, variables in cases:
        result = await harness.execute(query, variables, user_id=me.user.id)
        assert result.errors[0].extensions["code"] == "BAD_USER_INPUT", variables
