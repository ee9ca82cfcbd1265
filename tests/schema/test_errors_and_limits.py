"""Error codes in one place, masking of unexpected errors, depth and alias limits."""

import pytest

from schema.build import build_schema
from schema.errors import MASKED_MESSAGE
from tests.factories import make_user


class BrokenSessions:
    """A session factory whose database is down, to provoke an unexpected error."""

    def __call__(self):
        raise ConnectionRefusedError("could not reach db-internal.example:5432 as admin")

    @property
    def kw(self):
        # Core reads (db.engine.read_connection) take the engine from here.
        return self()


@pytest.mark.parametrize("mask", [True, False], ids=["production", "development"])
async def test_unexpected_errors_are_masked_only_in_production(harness, mask, caplog):
    schema = build_schema(mask_unexpected_errors=mask)
    context = harness.context(user_id=1)
    context.session_factory = BrokenSessions()
    result = await schema.execute("{ currentSession { id } }", context_value=context)
    error = result.errors[0]
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    if mask:
        assert error.message == MASKED_MESSAGE
        assert "db-internal" not in str(result.errors)
    else:
        assert "db-internal" in error.message
    # The real cause is always logged for operators.
    assert "db-internal" in caplog.text


async def test_validation_errors_stay_readable_in_production(harness):
    schema = build_schema(mask_unexpected_errors=True)
    result = await schema.execute("{ topics { nope } }", context_value=harness.context(1))
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert "nope" in result.errors[0].message
    syntax = await schema.execute("{ topics { ", context_value=harness.context(1))
    assert syntax.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert "Syntax Error" in syntax.errors[0].message


async def test_domain_errors_are_not_logged_as_server_errors(harness, caplog):
    result = await harness.execute("{ me { id } }")
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
    assert "unexpected error" not in caplog.text


async def test_query_depth_is_limited_to_ten(harness):
    me = await make_user(harness)
    deep = """{ topics { edges { node { sessions { edges { node { topic {
                 sessions { edges { node { topic { title } } } } } } } } } } } }"""
    result = await harness.execute(deep, user_id=me.user.id)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "exceeds maximum operation depth" in result.errors[0].message
    shallow = "{ topics { edges { node { sessions { edges { node { topic { title } } } } } } } }"
    assert (await harness.execute(shallow, user_id=me.user.id)).errors is None


async def test_introspection_is_not_cut_by_the_depth_limit(harness):
    from graphql import get_introspection_query

    result = await harness.execute(get_introspection_query())
    assert result.errors is None
    assert result.data["__schema"]["queryType"]["name"] == "Query"


async def test_aliases_are_limited_to_fifteen(harness):
    me = await make_user(harness)
    fifteen = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(15)) + " }"
    sixteen = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(16)) + " }"
    assert (await harness.execute(fifteen, user_id=me.user.id)).errors is None
    too_many = await harness.execute(sixteen, user_id=me.user.id)
    assert too_many.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "aliases" in too_many.errors[0].message


@pytest.fixture
def counted_validations(monkeypatch):
    """Counts the real validations behind ValidationCache's shared LRU cache."""
    import strawberry.schema.schema as strawberry_schema
    from strawberry.extensions.validation_cache import _get_validate_cache

    calls = []
    real_validate = strawberry_schema.validate_document

    def counting_validate(*args, **kwargs):
        calls.append(args)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate_document", counting_validate)
    _get_validate_cache.cache_clear()  # the cache re-wraps the patched function
    try:
        yield calls
    finally:
        _get_validate_cache.cache_clear()  # forget the wrapper of the patched function


async def test_a_repeated_operation_is_validated_once(harness, counted_validations):
    # ValidationCache only helps if its key (schema, document, rule classes) is stable
    # from one request to the next.
    me = await make_user(harness)
    schema = build_schema()
    query = "{ me { email } topics(first: 3) { totalCount } }"
    for _ in range(5):
        result = await schema.execute(query, context_value=harness.context(me.user.id))
        assert result.errors is None
    assert len(counted_validations) == 1
    # The limits still apply through the cached path.
    deep = "{ topics { edges { node { sessions { edges { node { topic { sessions { edges { node {"
    deep += " topic { title } } } } } } } } } } } }"
    for _ in range(2):
        refused = await schema.execute(deep, context_value=harness.context(me.user.id))
        assert "exceeds maximum operation depth" in refused.errors[0].message


async def test_each_operation_gets_fresh_loaders_on_a_long_lived_context(harness):
    # A websocket reuses one context for all its operations.
    from schema.relay import to_global_id
    from tests.factories import make_topic

    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id, title="Before")
    context = harness.context(me.user.id)
    read = "query($id: ID!) { topic(id: $id) { title } }"
    variables = {"id": to_global_id("Topic", topic.id)}
    first = await harness.schema.execute(read, variable_values=variables, context_value=context)
    await harness.data(
        'mutation($id: ID!) { updateTopic(id: $id, input: {title: "After"}) { id } }',
        variables,
        user_id=me.user.id,
    )
    second = await harness.schema.execute(read, variable_values=variables, context_value=context)
    assert (first.data["topic"]["title"], second.data["topic"]["title"]) == ("Before", "After")


async def test_an_expired_grant_stops_working_on_a_live_context(harness):
    from datetime import timedelta

    from db.types import utcnow

    me = await make_user(harness)
    context = harness.context(me.user.id)
    context.auth_expires_at = utcnow() - harness.policy.leeway - timedelta(seconds=1)
    result = await harness.schema.execute("{ me { email } }", context_value=context)
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
    assert "expired" in result.errors[0].message
