"""Reading what a client selected under a connection field (strawberry's SelectedField).

Used to do less work (no page read for `totalCount` alone) and to load earlier (the
node fields of a page, warmed together): never to change an answer.
"""

from collections import defaultdict

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

# What a connection field may ask for without needing its page of edges.
_PAGELESS_FIELDS = frozenset({"totalCount", "__typename"})


def selects_only_total_count(fields: list[SelectedField]) -> bool:
    """Whether a connection field's selections ask for nothing but totalCount (and
    __typename), so that its page need not be read.

    A dashboard asks `materials { totalCount }` of every topic: reading a page of rows
    it never sees would be most of the field's cost. Fragments count as asking for the
    page (they are rare here, and reading it is merely slower, never wrong).
    """
    return all(
        isinstance(selection, SelectedField) and selection.name in _PAGELESS_FIELDS
        for field in fields
        for selection in field.selections
    )


def connection_node_fields(fields: list[SelectedField]) -> dict[str, list[SelectedField]]:
    """The fields a connection field selects on `edges { node { ... } }`, by name
    (through fragments), e.g. for loading what the page's nodes will ask for at once."""
    by_name: dict[str, list[SelectedField]] = defaultdict(list)
    for connection in fields:
        for edges in _fields_named("edges", connection.selections):
            for node in _fields_named("node", edges.selections):
                for field in _fields_named(None, node.selections):
                    by_name[field.name].append(field)
    return by_name


def _fields_named(name: str | None, selections: list[Selection]) -> list[SelectedField]:
    """The fields among `selections` (through fragments) called `name`, or all of them."""
    found = []
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            found.extend(_fields_named(name, selection.selections))
        elif name is None or selection.name == name:
            found.append(selection)
    return found
