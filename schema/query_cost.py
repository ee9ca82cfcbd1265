"""A cap on how many objects one operation may ask for.

Depth and alias limits do not stop nested connections from multiplying:
`messages(first: 100) { edges { node { session { messages(first: 100) ... } } } }`
asks for 10,000 messages in a query of a hundred bytes. Before execution we add up the
objects every connection page may return, multiplied down the nesting and with the
request's actual variable values, and refuse the operation (BAD_USER_INPUT) when the
total is over MAX_OBJECTS. It runs after validation, so the document is known to be
well-formed; it is a walk over the selection, with no database work.
"""

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from db.errors import BadUserInput
from schema.execution.identity_cache import IdentityCache

MAX_OBJECTS = 3_000
# What a connection returns when the client gives neither `first` nor `last`.
DEFAULT_PAGE = 20
# No connection returns more; a larger first/last is refused by the field itself, with
# an error naming the argument, so it counts as this here.
MAX_PAGE = 100
# Fragments nest at most this deep (validation has already refused cycles).
_MAX_NESTING = 32


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> int:
    """The number of objects the operation's connections may return at most."""
    root = schema.get_root_type(operation.operation)
    return _selection_cost(schema, operation.selection_set, root, 1, fragments, variables or {}, 0)


def _selection_cost(schema, selection_set, parent_type, multiplier, fragments, variables, depth):
    if selection_set is None or parent_type is None or depth > _MAX_NESTING:
        return 0
    total = 0
    for field, field_parent in _fields(schema, selection_set, parent_type, fragments, depth):
        definition = getattr(field_parent, "fields", {}).get(field.name.value)
        if definition is None:  # __typename and other introspection fields
            continue
        page = _page_size(field, definition, variables)
        objects = multiplier * page
        if page > 1:
            total += objects
        total += _selection_cost(
            schema,
            field.selection_set,
            get_named_type(definition.type),
            objects,
            fragments,
            variables,
            depth + 1,
        )
    return total


def _fields(
    schema, selection_set: SelectionSetNode, parent_type, fragments, depth
) -> Iterator[tuple[FieldNode, Any]]:
    """The fields selected on `parent_type`, fragments flattened in."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent_type
        elif depth <= _MAX_NESTING:
            if isinstance(selection, InlineFragmentNode):
                fragment_type, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    continue
                fragment_type, inner = fragment.type_condition, fragment.selection_set
            else:  # pragma: no cover - graphql has no other selection kinds
                continue
            on_type = schema.get_type(fragment_type.name.value) if fragment_type else parent_type
            yield from _fields(schema, inner, on_type, fragments, depth + 1)


def _page_size(field: FieldNode, definition, variables: dict[str, Any]) -> int:
    """How many objects the field may return: its page for a connection, else 1."""
    if "first" not in definition.args and "last" not in definition.args:
        return 1
    given = {argument.name.value: argument.value for argument in field.arguments or ()}
    sizes = [
        size
        for name in ("first", "last")
        if name in given and (size := _int_value(given[name], variables)) is not None
    ]
    return min(max(sizes), MAX_PAGE) if sizes else DEFAULT_PAGE


def _int_value(node, variables: dict[str, Any]) -> int | None:
    if isinstance(node, IntValueNode):
        return max(int(node.value), 0)
    if isinstance(node, VariableNode):
        value = variables.get(node.name.value)
        return max(value, 0) if isinstance(value, int) else None
    return None


# Costs already worked out, by schema, document, operation name and the integer
# variables (the only values a cost depends on, see _int_value): a repeated query costs
# a lookup instead of a walk (27 us of a topics(first: 20) request, in process).
MAX_CACHED_COSTS = 1024
_cached_costs: IdentityCache[int | None] = IdentityCache(MAX_CACHED_COSTS)


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> int | None:
    """operation_cost of the document's chosen operation (None: no such operation)."""
    int_variables = tuple(
        sorted((name, value) for name, value in (variables or {}).items() if isinstance(value, int))
    )

    def work_out() -> int | None:
        operation = _chosen_operation(document, operation_name)
        if operation is None:
            return None
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        return operation_cost(schema, operation, fragments, variables)

    return _cached_costs.get_or_build(
        (schema, document), work_out, extra=(operation_name, int_variables)
    )


class QueryCostLimit(SchemaExtension):
    """Refuses an operation whose connections could return more than MAX_OBJECTS."""

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            cost = document_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if cost is not None and cost > MAX_OBJECTS:
                raise BadUserInput(
                    f"this operation may return up to {cost} objects through its "
                    f"connections; the limit is {MAX_OBJECTS}. Ask for smaller pages "
                    "(first/last) or nest fewer connections."
                )
        yield


def _chosen_operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)
