"""Compiled projections: a selection over plain attributes, built once into a function.

graphql-core completes every field of every object the same way: collect the fields,
build a resolve info, call the resolver, check the type, complete the value. A plan
does the same for the fields where that machinery is certainly equivalent (no resolver
of their own, extensions, arguments, middleware or @defer/@stream): it is compiled once
against the Strawberry-built GraphQL schema (response key, attribute getter, the leaf
type's output coercion or a nested plan), and a value is then a dict built by walking it.

A value a plan cannot complete (a null in a non-null field, a scalar that does not
coerce, a value of another type) raises CannotProject, and the caller hands that value
to graphql-core, which reports the error exactly as it always did.
"""

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_abstract_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.preloaded import is_preloadable, preloaded_getter

Project = Callable[[Any], Any]
# Strawberry keeps its own definition of each field here (GraphQLCoreConverter).
STRAWBERRY_DEFINITION = "strawberry-definition"


class CannotProject(Exception):
    """The selection or this value needs graphql-core's own execution."""


def _cannot_project(_value: Any) -> Any:
    raise CannotProject


class Compiler:
    """Builds plans for one operation; `fixed_variables` says whether @skip/@include may
    be decided at compile time (a subscription) or must not occur (a cached plan)."""

    def __init__(
        self, executor: StrawberryGraphQLCoreExecutionContext, *, fixed_variables: bool
    ) -> None:
        self.schema: GraphQLSchema = executor.schema
        self.fragments = executor.fragments
        self.variable_values = executor.variable_values
        self.operation = executor.operation
        self.fixed_variables = fixed_variables

    def compile_subscription_root(self) -> tuple[str, Project]:
        root_type = self.schema.subscription_type
        if root_type is None:
            raise CannotProject
        grouped, defer_usages, forbidden = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, self.operation
        )
        if defer_usages or forbidden or len(grouped) != 1:
            raise CannotProject
        ((key, details),) = grouped.items()
        field = root_type.fields.get(details[0].node.name.value)
        if field is None:
            raise CannotProject
        # The root field's per-event resolver returns the event itself (Strawberry).
        return key, self.value(field.type, details)

    def value(self, type_: Any, details: FieldDetailsList) -> Project:
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self.value(type_.of_type, details))
        if isinstance(type_, GraphQLList):
            return _listed(self.value(type_.of_type, details))
        if type_ is GraphQLString or type_ is GraphQLID:
            return _text_leaf(type_.coerce_output_value)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_.coerce_output_value)
        if isinstance(type_, GraphQLObjectType):
            return _nullable(self.object(type_, details))
        if is_abstract_type(type_):
            return self._abstract(type_, details)
        raise CannotProject

    def _abstract(self, abstract: Any, details: FieldDetailsList) -> Project:
        """Compiled per concrete class on first sight; a class that cannot be compiled
        (a field with its own resolver, say) sends only its values the slow way."""
        by_class: dict[type, Project] = {}

        def resolve(value: Any) -> Any:
            if value is None:
                return None
            cls = type(value)
            plan = by_class.get(cls)
            if plan is None:
                plan = by_class[cls] = self._concrete(abstract, cls, details)
            return plan(value)

        return resolve

    def _concrete(self, abstract: Any, cls: type, details: FieldDetailsList) -> Project:
        definition = getattr(cls, "__strawberry_definition__", None)
        runtime = self.schema.get_type(definition.name) if definition else None
        if not isinstance(runtime, GraphQLObjectType):
            return _cannot_project
        if not self.schema.is_sub_type(abstract, runtime):
            return _cannot_project
        try:
            return self.object(runtime, details)
        except CannotProject:
            return _cannot_project

    def object(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Project:
        if not self.fixed_variables and any(
            _has_directives(d.node.selection_set, self.fragments) for d in details
        ):
            raise CannotProject
        grouped, defer_usages, forbidden = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            object_type,
            details,
        )
        if defer_usages or forbidden:
            raise CannotProject
        steps: list[tuple[str, Project, Project]] = []
        for key, field_details in grouped.items():
            if any(d.fragment_variable_values or d.node.arguments for d in field_details):
                raise CannotProject
            name = field_details[0].node.name.value
            if name == "__typename":
                steps.append((key, _identity, _constant(object_type.name)))
                continue
            field = object_type.fields.get(name)
            if field is None:
                raise CannotProject
            steps.append((key, _getter(field, name), self.value(field.type, field_details)))
        return _object_plan(steps, object_type.is_type_of)


def _has_directives(selection_set: SelectionSetNode | None, fragments: dict) -> bool:
    """Whether a selection set, through its fragments, uses any directive.

    Only this level: a sub-field's own selections are checked when it is compiled.
    """
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if selection.directives:
            return True
        if isinstance(selection, InlineFragmentNode):
            if _has_directives(selection.selection_set, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            details = fragments.get(selection.name.value)
            # Fragments with variables of their own are not compiled either.
            if details is None or details.variable_signatures or details.definition.directives:
                return True
            if _has_directives(details.definition.selection_set, fragments):
                return True
        elif not isinstance(selection, FieldNode):
            return True
    return False


def _getter(field: Any, name: str) -> Project:
    """The getter of a plain attribute, or of a resolver field's preloaded value."""
    definition = field.extensions.get(STRAWBERRY_DEFINITION)
    if definition is not None and is_preloadable(definition):
        return preloaded_getter(name, _cannot_project_now)
    return _plain_getter(field)


def _cannot_project_now() -> Any:
    raise CannotProject


def _plain_getter(field: Any) -> Project:
    """The attribute getter of a field without resolver or extensions, else no plan.

    A resolver of our own (info, loaders, permissions) runs through graphql-core.
    """
    definition = field.extensions.get(STRAWBERRY_DEFINITION)
    if definition is None or not definition.is_basic_field:
        raise CannotProject
    if not getattr(field.resolve, "_is_default", False):
        raise CannotProject
    if definition.default_resolver is getattr:
        # What Strawberry's getter ends in, without its three calls on the way.
        return attrgetter(definition.python_name)
    resolve = field.resolve
    return lambda value: resolve(value, None)


def _identity(value: Any) -> Any:
    return value


def _non_null(inner: Project) -> Project:
    def non_null(value: Any) -> Any:
        result = inner(value)
        if result is None:
            raise CannotProject
        return result

    return non_null


def _listed(item: Project) -> Project:
    def listed(value: Any) -> Any:
        if value is None:
            return None
        # graphql-core completes any non-string iterable; the plain attributes we
        # project hold lists or tuples, and anything else is left to it.
        if not isinstance(value, list | tuple):
            raise CannotProject
        return [item(element) for element in value]

    return listed


def _leaf(coerce: Callable[[Any], Any]) -> Project:
    def leaf(value: Any) -> Any:
        if value is None:
            return None
        try:
            coerced = coerce(value)
        except GraphQLError as error:
            raise CannotProject from error  # graphql-core reports it as an error
        if coerced is None or coerced is Undefined:
            raise CannotProject  # graphql-core reports it as an error
        return coerced

    return leaf


def _text_leaf(coerce: Callable[[Any], Any]) -> Project:
    """String and ID: a str is its own output (what coercion returns for it), without
    coercion's checks; anything else is coerced as graphql-core would."""
    plain = _leaf(coerce)
    return lambda value: value if type(value) is str else plain(value)


def _nullable(plan: Project) -> Project:
    return lambda value: None if value is None else plan(value)


def _constant(constant: Any) -> Project:
    return lambda _value: constant


def _object_plan(
    steps: list[tuple[str, Project, Project]], is_type_of: Callable[..., Any] | None
) -> Project:
    if is_type_of is None:

        def project(value: Any) -> dict[str, Any]:
            return {key: complete(get(value)) for key, get, complete in steps}

        return project

    def checked(value: Any) -> dict[str, Any]:
        # Strawberry's is_type_of is an isinstance check and ignores the info; a value
        # of another type gets graphql-core's error.
        if is_type_of(value, None) is not True:
            raise CannotProject
        return {key: complete(get(value)) for key, get, complete in steps}

    return checked
