"""The compiled projection of subscription events answers exactly what graphql-core would."""

from datetime import UTC, datetime
from enum import Enum

import pytest
import strawberry
from graphql import parse
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from db.models import Message as MessageRow
from schema.build import build_schema
from schema.chat.types import (
    Message,
    MessageDelta,
    MessageSnapshot,
    ToolCall,
    ToolCallEvent,
)
from schema.execution.projection import ProjectingExecutor
from schema.relay import to_global_id

SCHEMA = build_schema()._schema
MESSAGE_ID = to_global_id("Message", 7)

EVENT_QUERIES = {
    "typename and interface fields": """
        subscription($id: ID!) { messageEvents(messageId: $id) { __typename seq messageId } }""",
    "inline fragments and aliases": """
        subscription($id: ID!) { e: messageEvents(messageId: $id) {
            kind: __typename n: seq
            ... on MessageDelta { text: delta delta }
            ... on ToolCallEvent { toolCall { callId name arguments output status } }
        } }""",
    "named fragment": """
        subscription($id: ID!) { messageEvents(messageId: $id) { ...Delta } }
        fragment Delta on MessageDelta { seq delta }""",
    "skip and include from variables": """
        subscription($id: ID!, $yes: Boolean!, $no: Boolean!) {
            messageEvents(messageId: $id) {
                seq @include(if: $yes) messageId @include(if: $no)
                ... on MessageDelta { delta @skip(if: $no) }
            }
        }""",
    "fields with resolvers (slow path for snapshots)": """
        subscription($id: ID!) { messageEvents(messageId: $id) { __typename seq
            ... on MessageDelta { delta }
            ... on MessageSnapshot { message { id content status createdAt toolCalls { name } } }
        } }""",
}


def events():
    created = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    row = MessageRow(
        id=7,
        owner_id=1,
        session_id=1,
        role="ASSISTANT",
        content="Hello",
        status="STREAMING",
        mode="EXPLAIN",
        model="local:tutor",
        created_at=created,
    )
    message = Message.from_row(row)
    return [
        MessageDelta(message_id=MESSAGE_ID, seq=1, delta="Hel"),
        MessageDelta(message_id=MESSAGE_ID, seq=2, delta='lo ✓ "quoted"\n'),
        ToolCallEvent(
            message_id=MESSAGE_ID,
            seq=3,
            tool_call=ToolCall.from_json(
                {"call_id": "c1", "name": "search", "arguments": {"q": "x"}, "status": "DONE"}
            ),
        ),
        MessageSnapshot(message_id=MESSAGE_ID, seq=4, message=message),
    ]


def run(executor_class, query: str, event):
    variables = {"id": MESSAGE_ID, "yes": True, "no": False}
    executor = executor_class.build(SCHEMA, parse(query), None, None, variables)
    assert not isinstance(executor, list), executor
    return executor, executor.build_per_event_executor(event).execute_operation(False)


@pytest.mark.parametrize("name", list(EVENT_QUERIES))
def test_a_projected_event_equals_graphql_cores_execution(name):
    query = EVENT_QUERIES[name]
    for event in events():
        expected = run(StrawberryGraphQLCoreExecutionContext, query, event)[1]
        executor, projected = run(ProjectingExecutor, query, event)
        assert executor._projection is not None, "the selection should compile"
        assert projected.errors == expected.errors
        assert projected.data == expected.data
        # Keys in the order the client asked for them, as graphql-core answers.
        assert list(projected.data) == list(expected.data)


def test_the_fast_path_is_taken_for_plain_events(monkeypatch):
    def no_execution(self, serially=None):
        raise AssertionError("graphql-core executed an event the plan covers")

    query = EVENT_QUERIES["fields with resolvers (slow path for snapshots)"]
    executor = ProjectingExecutor.build(SCHEMA, parse(query), None, None, {"id": MESSAGE_ID})
    delta, snapshot = events()[0], events()[3]
    executor.build_per_event_executor(delta)  # compiles the plan
    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", no_execution)
    result = executor.build_per_event_executor(delta).execute_operation(False)
    expected = {"__typename": "MessageDelta", "seq": 1, "delta": "Hel"}
    assert result.data == {"messageEvents": expected}
    # A snapshot selects fields with resolvers of their own: graphql-core runs it.
    with pytest.raises(AssertionError, match="graphql-core executed"):
        executor.build_per_event_executor(snapshot).execute_operation(False)


def test_a_null_in_a_non_null_field_gets_graphql_cores_error():
    query = EVENT_QUERIES["inline fragments and aliases"]
    broken = MessageDelta(message_id=MESSAGE_ID, seq=None, delta="x")  # seq is Int!
    expected = run(StrawberryGraphQLCoreExecutionContext, query, broken)[1]
    projected = run(ProjectingExecutor, query, broken)[1]
    assert expected.errors, "graphql-core reports the null"
    assert projected.data == expected.data
    assert [error.message for error in projected.errors] == [
        error.message for error in expected.errors
    ]


# --- plain parts of query answers ---------------------------------------------------


@strawberry.enum
class Color(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    color: Color
    at: datetime
    note: str | None = None
    # Set to an int below: ID coercion turns it into a string.
    ident: strawberry.ID | None = None


@strawberry.type
class Branch:
    title: str
    leaves: list[Leaf]
    best: Leaf | None
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.title.upper()

    @strawberry.field
    def refuse(self) -> str | None:
        raise ValueError(f"{self.title} refuses")


class ExplodingLeaf(Leaf):
    """A Leaf whose plain `note` raises when read: a getter that fails, not a resolver."""

    @property
    def note(self) -> str | None:
        raise RuntimeError("the note cannot be read")

    @note.setter
    def note(self, _value: str | None) -> None:
        pass


@strawberry.type
class TreeQuery:
    @strawberry.field
    def branches(self, broken: bool = False) -> list[Branch]:
        at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        leaves = [Leaf(name=f"leaf {n}", color=Color.RED, at=at, ident=n) for n in range(3)]
        if broken:
            leaves[1] = Leaf(name=None, color=Color.BLUE, at=at)  # name is String!
        return [
            Branch(title="one", leaves=leaves, best=leaves[0], tags=["a", "b"]),
            Branch(title="two", leaves=[], best=None, tags=[]),
        ]

    @strawberry.field
    def exploding(self) -> list[Leaf]:
        at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        return [
            Leaf(name="calm", color=Color.RED, at=at),
            ExplodingLeaf(name="x", color=Color.RED, at=at),
        ]

    @strawberry.field
    def named(self) -> list[Named]:
        return [Leaf(name="x", color=Color.BLUE, at=datetime(2026, 1, 1, tzinfo=UTC))]

    @strawberry.field
    def wrong(self) -> Leaf:
        # Has every field the query selects, yet is not a Leaf: graphql-core refuses it.
        return Impostor(name="not a leaf")  # type: ignore[return-value]


@strawberry.type
class Impostor:
    name: str


PLAIN_SCHEMA = strawberry.Schema(query=TreeQuery, types=[Impostor])
# Parsed documents are reused, as in production (schema/build.py), so plans are too.
PROJECTING_SCHEMA = strawberry.Schema(
    query=TreeQuery,
    types=[Impostor],
    execution_context_class=ProjectingExecutor,
    extensions=[ParserCache],
)

TREE_QUERIES = {
    "nested lists of plain objects": """
        { branches { title tags leaves { name color at note ident } } }""",
    "aliases, typename and fragments": """
        { b: branches { __typename t: title best { ...L } leaves { ... on Leaf { n: name } } } }
        fragment L on Leaf { name at }""",
    "a field with a resolver beside plain ones": "{ branches { title shout leaves { name } } }",
    "directives decided by variables": """
        query($yes: Boolean!) { branches { title leaves { name @include(if: $yes) color } } }""",
    "an interface": "{ named { __typename name ... on Leaf { color } } }",
    "a null in a non-null field": "{ branches(broken: true) { title leaves { name } } }",
    "a value of another type": "{ wrong { name } }",
    "a resolver that raises": "{ branches { title refuse leaves { name } } }",
    "a plain attribute whose getter raises": "{ exploding { name note } }",
}


@pytest.mark.parametrize("name", list(TREE_QUERIES))
async def test_a_projected_query_answer_equals_graphql_cores(name):
    query = TREE_QUERIES[name]
    # The first answer compiles the plans, later ones use them, whatever the variables.
    for yes in (True, False, True, False):
        expected = await PLAIN_SCHEMA.execute(query, variable_values={"yes": yes})
        projected = await PROJECTING_SCHEMA.execute(query, variable_values={"yes": yes})
        assert projected.data == expected.data
        assert list(projected.data or {}) == list(expected.data or {})
        assert [(e.message, e.path) for e in projected.errors or []] == [
            (e.message, e.path) for e in expected.errors or []
        ]


async def test_plain_subtrees_skip_graphql_cores_completion(monkeypatch):
    completed: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.complete_leaf_value

    def counting(return_type, result):
        completed.append(return_type.name)
        return original(return_type, result)

    monkeypatch.setattr(
        StrawberryGraphQLCoreExecutionContext, "complete_leaf_value", staticmethod(counting)
    )
    query = "{ branches { title shout leaves { name color } } }"
    assert not (await PLAIN_SCHEMA.execute(query)).errors
    assert completed.count("String") == 2 * 2 + 3  # title and shout per branch, 3 names
    completed.clear()
    await PROJECTING_SCHEMA.execute(query)  # compiles
    completed.clear()
    result = await PROJECTING_SCHEMA.execute(query)
    assert result.data["branches"][0]["leaves"][2] == {"name": "leaf 2", "color": "RED"}
    # `shout` has a resolver, so each Branch goes through graphql-core (title and shout
    # as leaves there), while its plain list of leaves is one projection.
    assert sorted(completed) == ["String"] * 4


async def test_an_error_in_a_resolver_reaches_the_client_as_before():
    query = TREE_QUERIES["a resolver that raises"]
    for _ in range(2):  # compiling, then with the cached plans
        result = await PROJECTING_SCHEMA.execute(query)
        assert [(e.message, e.path) for e in result.errors] == [
            ("one refuses", ["branches", 0, "refuse"]),
            ("two refuses", ["branches", 1, "refuse"]),
        ]
        assert result.data["branches"][0] == {
            "title": "one",
            "refuse": None,
            "leaves": [{"name": f"leaf {n}"} for n in range(3)],
        }


async def test_a_plan_that_fails_unexpectedly_is_logged_and_graphql_core_answers(caplog):
    query = TREE_QUERIES["a plain attribute whose getter raises"]
    for _ in range(2):
        caplog.clear()
        result = await PROJECTING_SCHEMA.execute(query)
        assert [(e.message, e.path) for e in result.errors] == [
            ("the note cannot be read", ["exploding", 1, "note"])
        ]
        assert result.data == {
            "exploding": [{"name": "calm", "note": None}, {"name": "x", "note": None}]
        }
        # Not swallowed: the plan's failure is in the log, with its traceback.
        failures = [r for r in caplog.records if "compiled projection failed" in r.getMessage()]
        assert failures and failures[0].exc_info[0] is RuntimeError
