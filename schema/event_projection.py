"""Subscription events without a GraphQL execution per event: a compiled projection.

graphql-core executes a subscription's selection set once per event and subscriber:
collecting fields, building a resolve info, calling each field's resolver and
completing each value, for a handful of plain attributes. That cost 100-220 µs of CPU
per delivered token (bench/stream.py) and bounded how many streams one process holds.

`ProjectingExecutor` compiles the selection set once per subscription and runtime
type, against the Strawberry-built GraphQL schema (the single source of the types),
into a plan: response key, the field's own resolver (Strawberry's attribute getter),
and the leaf type's `serialize` or a nested plan. An event is then a dict built by
walking the plan. Only what is certainly equivalent is compiled: fields without a
custom resolver, arguments, middleware or directives other than @skip/@include
(decided once, since a subscription's variables never change). Anything else, and any
value a plan cannot complete (a null in a non-null field, a scalar that does not
serialise), takes graphql-core's normal execution, so errors read exactly as before.
"""

from collections.abc import Callable
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationType,
    is_abstract_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Project = Callable[[Any], Any]


class _CannotProject(Exception):
    """The selection or this value needs graphql-core's own execution."""


def _cannot_project(_value: Any) -> Any:
    raise _CannotProject


class _Compiler:
    """The plan of one subscription operation's selection set, built once."""

    def __init__(self, executor: StrawberryGraphQLCoreExecutionContext) -> None:
        self.schema: GraphQLSchema = executor.schema
        self.fragments = executor.fragments
        self.variable_values = executor.variable_values
        self.operation = executor.operation

    def compile_root(self) -> tuple[str, Project]:
        root_type = self.schema.subscription_type
        if root_type is None:
            raise _CannotProject
        grouped, defer_usages, forbidden = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, self.operation
        )
        if defer_usages or forbidden or len(grouped) != 1:
            raise _CannotProject
        ((key, details),) = grouped.items()
        field = root_type.fields.get(details[0].node.name.value)
        if field is None:
            raise _CannotProject
        # The root field's per-event resolver returns the event itself (Strawberry).
        return key, self._value(field.type, details)

    def _value(self, type_: Any, details: FieldDetailsList) -> Project:
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self._value(type_.of_type, details))
        if isinstance(type_, GraphQLList):
            return _listed(self._value(type_.of_type, details))
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_.serialize)
        if isinstance(type_, GraphQLObjectType):
            return _nullable(self._object(type_, details))
        if is_abstract_type(type_):
            return self._abstract(type_, details)
        raise _CannotProject

    def _abstract(self, abstract: Any, details: FieldDetailsList) -> Project:
        """Compiled per concrete class on first sight; a class that cannot be compiled
        (a field with its own resolver, say) sends only its events the slow way."""
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
            return self._object(runtime, details)
        except _CannotProject:
            return _cannot_project

    def _object(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Project:
        grouped, defer_usages, forbidden = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            object_type,
            details,
        )
        if defer_usages or forbidden:
            raise _CannotProject
        steps: list[tuple[str, Callable[..., Any] | None, Project]] = []
        for key, field_details in grouped.items():
            if any(d.fragment_variable_values or d.node.arguments for d in field_details):
                raise _CannotProject
            name = field_details[0].node.name.value
            if name == "__typename":
                steps.append((key, None, _constant(object_type.name)))
                continue
            field = object_type.fields.get(name)
            # Only Strawberry's getter of a plain attribute (`_is_default`); a resolver
            # of our own (info, loaders, permissions) runs through graphql-core.
            if field is None or not getattr(field.resolve, "_is_default", False):
                raise _CannotProject
            steps.append((key, field.resolve, self._value(field.type, field_details)))
        return _object_plan(steps)


def _non_null(inner: Project) -> Project:
    def non_null(value: Any) -> Any:
        result = inner(value)
        if result is None:
            raise _CannotProject
        return result

    return non_null


def _listed(item: Project) -> Project:
    return lambda value: None if value is None else [item(element) for element in value]


def _leaf(serialize: Callable[[Any], Any]) -> Project:
    return lambda value: None if value is None else serialize(value)


def _nullable(plan: Project) -> Project:
    return lambda value: None if value is None else plan(value)


def _constant(constant: Any) -> Project:
    return lambda _value: constant


def _object_plan(steps: list[tuple[str, Callable[..., Any] | None, Project]]) -> Project:
    def project(value: Any) -> dict[str, Any]:
        return {
            key: complete(value if resolve is None else resolve(value, None))
            for key, resolve, complete in steps
        }

    return project


class ProjectingExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, with a compiled projection for subscription events."""

    _projection: tuple[str, Project] | None = None
    _prepared: bool = False

    def build_per_event_executor(self, payload: Any) -> StrawberryGraphQLCoreExecutionContext:
        if not self._prepared:
            # Before the copy, so that every per-event executor shares the plan.
            self._prepared = True
            self._projection = self._compile()
        return super().build_per_event_executor(payload)

    def _compile(self) -> tuple[str, Project] | None:
        # Middleware wraps every resolver; a plan would skip it.
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        if self.operation.operation is not OperationType.SUBSCRIPTION:
            return None
        try:
            return _Compiler(self).compile_root()
        except _CannotProject:
            return None

    def execute_operation(self, serially: bool | None = None):
        projection = self._projection
        if projection is not None:
            key, project = projection
            try:
                return ExecutionResult(data={key: project(self.root_value)})
            except Exception:
                # A value the plan cannot complete (a null in a non-null field, a getter
                # that raised): graphql-core's execution reports it as a located error.
                pass
        return super().execute_operation(serially)
