"""Plain parts of an answer without graphql-core's per-field execution.

graphql-core's completion of plain attributes (a page of 20 topics, each with its id,
title and date; a token of a live answer) costs far more than the values: 100-220 us of
CPU per delivered token, and about a fifth of a topic list's CPU (bench/topics_rate.py,
bench/stream.py, bench/execution_tricks.py). ProjectingExecutor answers those parts with
compiled plans (schema/execution/plans.py) in two places:

- a subscription's events: the whole selection set, compiled per subscription (its
  variables never change, so @skip/@include are decided once);
- any object or list in an answer whose whole selection is plain (a query's Connection
  of topics, say): compiled per document and type on first sight and cached across
  requests. Such plans are only built for selections without directives, because
  the variables that decide them change between requests while the plan does not.

Where a plan cannot complete a value it raises CannotProject and graphql-core's own
path answers that value, so errors read exactly as before. Any other exception out of
a plan is a bug in it: it is logged and graphql-core answers instead, so the client
still gets what graphql-core gives it.
"""

import logging
from typing import Any

from graphql import ExecutionResult, GraphQLObjectType, OperationType
from graphql.execution.collect_fields import FieldDetailsList
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.identity_cache import IdentityCache
from schema.execution.plans import CannotProject, Compiler, Project

logger = logging.getLogger(__name__)

# Plans of answers' plain parts, shared by all requests, by a type and the field nodes
# of one parsed document (None: that part cannot be projected).
MAX_CACHED_PLANS = 4096
_cached_plans: IdentityCache[Project | None] = IdentityCache(MAX_CACHED_PLANS)
_NOT_PROJECTED = object()


def _projected_or_not(plan: Project, value: Any) -> Any:
    """plan(value), or _NOT_PROJECTED for graphql-core to answer: CannotProject is the
    plan's way of saying so; anything else is a bug in the plan, logged."""
    try:
        return plan(value)
    except CannotProject:
        return _NOT_PROJECTED
    except Exception:
        logger.exception("a compiled projection failed; graphql-core answers instead")
        return _NOT_PROJECTED


class ProjectingExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, with compiled plans for plain parts of answers."""

    _projection: tuple[str, Project] | None = None
    _prepared: bool = False

    # --- subscription events ---

    def build_per_event_executor(self, payload: Any) -> StrawberryGraphQLCoreExecutionContext:
        if not self._prepared:
            # Before the copy, so that every per-event executor shares the plan.
            self._prepared = True
            self._projection = self._compile_subscription()
        return super().build_per_event_executor(payload)

    def _compile_subscription(self) -> tuple[str, Project] | None:
        if self._has_middleware():
            return None
        if self.operation.operation is not OperationType.SUBSCRIPTION:
            return None
        try:
            return Compiler(self, fixed_variables=True).compile_subscription_root()
        except CannotProject:
            return None

    def execute_operation(self, serially: bool | None = None):
        projection = self._projection
        if projection is not None:
            key, project = projection
            value = _projected_or_not(project, self.root_value)
            if value is not _NOT_PROJECTED:
                return ExecutionResult(data={key: value})
        return super().execute_operation(serially)

    # --- plain objects and lists in any answer ---

    def complete_object_value(
        self, return_type, field_details_list, info, path, result, position_context
    ):
        value = self._projected(return_type, field_details_list, result)
        if value is _NOT_PROJECTED:
            args = (return_type, field_details_list, info, path, result, position_context)
            return super().complete_object_value(*args)
        return value

    def complete_list_value(
        self, return_type, field_details_list, info, path, result, position_context
    ):
        value = self._projected(return_type, field_details_list, result)
        if value is _NOT_PROJECTED:
            args = (return_type, field_details_list, info, path, result, position_context)
            return super().complete_list_value(*args)
        return value

    def _projected(self, return_type: Any, field_details_list: FieldDetailsList, result: Any):
        """The value built by its cached plan, or _NOT_PROJECTED for graphql-core to
        complete: no plan, or one that cannot complete this value (graphql-core then
        reports what is wrong with it)."""
        plan = self._cached_plan(return_type, field_details_list)
        if plan is None:
            return _NOT_PROJECTED
        return _projected_or_not(plan, result)

    def _cached_plan(
        self, return_type: Any, field_details_list: FieldDetailsList
    ) -> Project | None:
        if self._has_middleware():
            return None
        objects = (return_type, *[details.node for details in field_details_list])
        return _cached_plans.get_or_build(
            objects, lambda: self._compile_cached(return_type, field_details_list)
        )

    def _compile_cached(self, return_type: Any, field_details_list: FieldDetailsList):
        # @stream on a list field sits on the field itself.
        if any(d.node.directives for d in field_details_list):
            return None
        compiler = Compiler(self, fixed_variables=False)
        try:
            if isinstance(return_type, GraphQLObjectType):
                return compiler.object(return_type, field_details_list)
            return compiler.value(return_type, field_details_list)
        except CannotProject:
            return None

    def _has_middleware(self) -> bool:
        # Middleware wraps every resolver, which a plan would skip.
        return self.middleware_manager is not None and bool(self.middleware_manager.middlewares)
