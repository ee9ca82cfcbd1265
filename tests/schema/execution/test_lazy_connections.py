"""Lazy connections: no page read for totalCount alone, the Connection at once when its
page is loaded, and node fields found through fragments."""

import inspect
from types import SimpleNamespace

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import InlineFragment, SelectedField

from db.pagination import Page
from schema.execution.lazy_connections import loaded_connection
from schema.execution.selections import connection_node_fields, selects_only_total_count
from schema.relay import Connection


def field(name: str, *selections) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(selections))


def fragment(*selections) -> InlineFragment:
    return InlineFragment(type_condition=None, selections=list(selections), directives={})


def test_only_total_count_and_typename_spare_the_page():
    assert selects_only_total_count([field("materials", field("totalCount"))])
    assert selects_only_total_count([field("m", field("__typename"), field("totalCount"))])
    assert not selects_only_total_count([field("m", field("totalCount"), field("edges"))])
    # A fragment counts as asking for the page: slower at worst, never wrong.
    assert not selects_only_total_count([field("m", fragment(field("totalCount")))])


def test_node_fields_are_found_through_fragments_and_occurrences():
    first = field("topics", field("edges", field("node", field("id"), field("progress"))))
    second = field("topics", fragment(field("edges", field("node", fragment(field("progress"))))))
    by_name = connection_node_fields([first, second])
    assert sorted(by_name) == ["id", "progress"]
    assert len(by_name["progress"]) == 2


class Row(SimpleNamespace):
    id: int


def loaders() -> tuple[DataLoader, DataLoader, list[str]]:
    calls: list[str] = []

    async def load_pages(keys):
        calls.append("page")
        return [Page(rows=[Row(id=7)], has_next=False, has_previous=False) for _ in keys]

    async def load_counts(keys):
        calls.append("count")
        return [1 for _ in keys]

    return DataLoader(load_fn=load_pages), DataLoader(load_fn=load_counts), calls


async def test_total_count_alone_reads_no_page():
    pages, counts, calls = loaders()
    info = SimpleNamespace(selected_fields=[field("materials", field("totalCount"))])
    connection = loaded_connection(info, str, page=(pages, 1), count=(counts, 1))
    assert isinstance(connection, Connection) and connection.edges == []
    assert await connection.total_count() == 1  # not loaded yet: an awaitable
    assert calls == ["count"]


async def test_a_loaded_page_gives_the_connection_at_once():
    pages, counts, calls = loaders()
    info = SimpleNamespace(selected_fields=[field("materials", field("edges"))])
    pending = loaded_connection(info, lambda row: row.id, page=(pages, 1), count=(counts, 1))
    assert inspect.isawaitable(pending)
    assert [edge.node for edge in (await pending).edges] == [7]
    now = loaded_connection(info, lambda row: row.id, page=(pages, 1), count=(counts, 1))
    assert isinstance(now, Connection) and [edge.node for edge in now.edges] == [7]
    assert calls == ["page"]
