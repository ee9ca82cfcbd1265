"""Limits on a GraphQL document that hold before it is parsed, while it is, and before
it is validated, so that no document can hold the event loop for long.

Parsing and validation run on the event loop and cost time in proportion to the
document (a 1 MB body of `__typename` fields took 2.6 s). So:

- before parsing, at most `max_characters` code points; during parsing (graphql-core's
  own parser options), at most `max_tokens` lexical tokens and as many comments;
- after parsing, before any validation rule runs, one linear walk without recursion
  (DocumentShape) refuses a document with too many fields (each fragment counted
  wherever it is spread, so fragments cannot multiply them unseen), directives or
  fragment definitions, or nested too deeply (selection sets and fragment spreads
  together). The walk also keeps Strawberry's depth limiter, which recurses through
  fragment spreads before graphql-core's own guard runs, from a RecursionError;
- during validation, graphql-core's budget for comparing same-named fields
  (OverlappingFieldsCanBeMerged, quadratic in repeated fields: 200 `me { id }` took
  200 ms) is cut from 500,000 units to `validation_complexity`.

Every refusal is BAD_USER_INPUT with a message that names the limit.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import graphql.validation.rules.overlapping_fields_can_be_merged as overlapping_fields
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from db.errors import BadUserInput, Unauthenticated
from schema.execution.identity_cache import IdentityCache

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
MAX_CACHED_SHAPES = 1024


@dataclass(frozen=True)
class DocumentLimits:
    """What one document may contain (settings: STUDYGRAPH_MAX_QUERY_*)."""

    max_characters: int = 10_000
    max_tokens: int = 1_000
    max_fields: int = 500
    max_directives: int = 50
    max_fragments: int = 50
    max_nesting: int = 30
    # Units of graphql-core's field-comparison budget (about 1.3 us each here). Queries
    # of this API spend none (the dashboard, the full introspection query); 2,000 units
    # allow fields repeated across a few fragments and cost at most ~3 ms.
    validation_complexity: int = 2_000
    # False: `__schema` and `__type` need a signed-in user (production's default).
    public_introspection: bool = True

    def parse_options(self) -> dict[str, int]:
        """graphql-core's parser options that enforce the size limits while parsing."""
        return {
            "max_lexical_tokens": self.max_tokens,
            "max_comments": self.max_tokens,
        }


@dataclass(frozen=True)
class DocumentShape:
    """What a parsed document asks for, counted once per document."""

    fields: int  # of its largest operation, each fragment counted where it is spread
    directives: int
    fragments: int
    nesting: int  # selection sets and fragment spreads, of the deepest operation
    introspects: bool


@dataclass
class _Definition:
    """One operation's or fragment's own counts, its spreads not yet followed."""

    fields: int = 0
    directives: int = 0
    nesting: int = 0
    introspects: bool = False
    # (fragment name, nesting at the spread)
    spreads: list[tuple[str, int]] = field(default_factory=list)


def _own_counts(definition: OperationDefinitionNode | FragmentDefinitionNode) -> _Definition:
    counts = _Definition(directives=len(definition.directives or ()))
    stack: list[tuple[SelectionSetNode, int]] = [(definition.selection_set, 1)]
    while stack:
        selection_set, depth = stack.pop()
        counts.nesting = max(counts.nesting, depth)
        for selection in selection_set.selections:
            counts.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                counts.fields += 1
                counts.introspects |= selection.name.value in INTROSPECTION_FIELDS
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, depth + 1))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth + 1))
            elif isinstance(selection, FragmentSpreadNode):
                counts.spreads.append((selection.name.value, depth))
    return counts


def _expanded(own: dict[str, _Definition]) -> dict[str, tuple[int, int]]:
    """(fields, nesting) of each fragment with its spreads followed, without recursion.

    A spread that closes a cycle or names no fragment adds nothing: validation
    reports both.
    """
    done: dict[str, tuple[int, int]] = {}
    for root in own:
        path: list[tuple[str, Iterator[tuple[str, int]]]] = [(root, iter(own[root].spreads))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            pending = next(
                (s for s, _ in spreads if s in own and s not in done and s not in on_path), None
            )
            if pending is not None:
                path.append((pending, iter(own[pending].spreads)))
                on_path.add(pending)
                continue
            done[name] = _follow(own[name], done)
            on_path.discard(name)
            path.pop()
    return done


def _follow(counts: _Definition, done: dict[str, tuple[int, int]]) -> tuple[int, int]:
    fields, nesting = counts.fields, counts.nesting
    for name, depth in counts.spreads:
        spread_fields, spread_nesting = done.get(name, (0, 0))
        fields += spread_fields
        nesting = max(nesting, depth + spread_nesting)
    return fields, nesting


def document_shape(document: DocumentNode) -> DocumentShape:
    """The counts the limits apply to, in one pass over the document."""
    operations: list[_Definition] = []
    fragments: dict[str, _Definition] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations.append(_own_counts(definition))
        elif isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = _own_counts(definition)
    expanded = _expanded(fragments)
    followed = [_follow(operation, expanded) for operation in operations]
    everything = [*operations, *fragments.values()]
    return DocumentShape(
        fields=max((fields for fields, _ in followed), default=0),
        directives=sum(counts.directives for counts in everything),
        fragments=len(fragments),
        nesting=max((nesting for _, nesting in followed), default=0),
        introspects=any(counts.introspects for counts in everything),
    )


_cached_shapes: IdentityCache[DocumentShape] = IdentityCache(MAX_CACHED_SHAPES)


def check_shape(shape: DocumentShape, limits: DocumentLimits) -> None:
    """BAD_USER_INPUT naming the first limit the document is over."""
    over = [
        (shape.fields, limits.max_fields, "fields (fragments counted where they are spread)"),
        (shape.directives, limits.max_directives, "directives"),
        (shape.fragments, limits.max_fragments, "fragment definitions"),
        (shape.nesting, limits.max_nesting, "levels of nesting (selections and spreads)"),
    ]
    for count, limit, what in over:
        if count > limit:
            raise BadUserInput(f"the document has {count} {what}; the limit is {limit}")


class DocumentLimitsExtension(SchemaExtension):
    """Applies DocumentLimits; listed before the parser and validation caches."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits

    # On parse, not on operation: an operation hook lives as long as the operation, and a
    # subscription's for as long as its socket follows it (bench/subscription_memory.py).
    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        # Checked here rather than with the parser's max_source_length: graphql-core's
        # error for that works out a line and column by scanning the whole text
        # (14 ms for 1 MB).
        if isinstance(query, str) and len(query) > self.limits.max_characters:
            raise BadUserInput(
                f"the document has {len(query)} characters; the limit is "
                f"{self.limits.max_characters}"
            )
        self.execution_context.parse_options.update(self.limits.parse_options())
        yield  # the caches after this extension parse the document
        document = self.execution_context.graphql_document
        if document is None:
            return
        shape = _cached_shapes.get_or_build((document,), lambda: document_shape(document))
        check_shape(shape, self.limits)
        if shape.introspects and not self.limits.public_introspection:
            self._require_user()

    def _require_user(self) -> None:
        require_user_id = getattr(self.execution_context.context, "require_user_id", None)
        try:
            if require_user_id is None:
                raise Unauthenticated("no user")
            require_user_id()
        except Unauthenticated as error:
            raise Unauthenticated("introspection requires a signed-in user") from error


def limit_validation_work(budget: int) -> None:
    """Set graphql-core's field-comparison budget: a module attribute it documents as
    settable, read when each validation starts, so one per process (the last schema
    built sets it; a process builds one)."""
    overlapping_fields.MAX_COMPLEXITY_BUDGET = budget
