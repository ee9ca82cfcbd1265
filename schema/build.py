"""The Strawberry schema: the roots assembled from each domain, and its extensions."""

from collections.abc import Callable, Iterator, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.api_keys.resolvers import ApiKeyMutations, ApiKeyQueries
from schema.chat.models import ModelQueries
from schema.chat.mutations import ChatMutations
from schema.chat.queries import ChatQueries
from schema.chat.subscriptions import ChatSubscriptions
from schema.chat.types import MESSAGE_EVENT_TYPES
from schema.context import OperationScope
from schema.document_limits import DocumentLimits, DocumentLimitsExtension, limit_validation_work
from schema.document_work import DocumentWork, LeastRecentlyUsed
from schema.errors import apply_error_codes, refusals_as_results
from schema.execution.projection import ProjectingExecutor
from schema.learning.mutations import LearningMutations
from schema.learning.queries import LearningQueries
from schema.materials.mutations import MaterialMutations
from schema.materials.queries import MaterialQueries
from schema.materials.subscriptions import MaterialSubscriptions
from schema.query_cost import QueryCostLimit
from schema.server.queries import ServerQueries
from schema.sessions.mutations import SessionMutations
from schema.sessions.queries import SessionQueries
from schema.topics.mutations import TopicMutations
from schema.topics.queries import TopicQueries
from schema.users.mutations import UserMutations
from schema.users.queries import UserQueries

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
CACHE_SIZE = 1024


@strawberry.type(description="Everything a client can read.")
class Query(
    ServerQueries,
    UserQueries,
    TopicQueries,
    SessionQueries,
    MaterialQueries,
    ChatQueries,
    ModelQueries,
    LearningQueries,
    ApiKeyQueries,
):
    pass


@strawberry.type(description="Everything a client can change.")
class Mutation(
    UserMutations,
    TopicMutations,
    SessionMutations,
    MaterialMutations,
    ChatMutations,
    LearningMutations,
    ApiKeyMutations,
):
    pass


@strawberry.type(description="Everything a client can follow live (graphql-transport-ws).")
class Subscription(MaterialSubscriptions, ChatSubscriptions):
    pass


class StudygraphSchema(strawberry.Schema):
    """Strawberry's schema with our error policy in place of "log every error"."""

    def __init__(
        self,
        *args,
        mask_unexpected_errors: bool,
        on_errors: Callable[[list[GraphQLError]], None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mask_unexpected_errors = mask_unexpected_errors
        self.on_errors = on_errors

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        classified = apply_error_codes(errors, mask_unexpected=self.mask_unexpected_errors)
        if classified and self.on_errors is not None:
            self.on_errors(classified)

    async def execute(self, query, *args, allowed_operation_types=None, **kwargs):
        # A subscription needs a stream (graphql-transport-ws); executed once it has no
        # answer to give, and graphql-core fails inside. Refused, the HTTP view answers
        # 400 ("subscriptions are not allowed when using POST").
        allowed = set(allowed_operation_types or (OperationType.QUERY, OperationType.MUTATION))
        allowed.discard(OperationType.SUBSCRIPTION)
        return await super().execute(query, *args, allowed_operation_types=allowed, **kwargs)

    async def stream(self, *args, **kwargs):
        # Websockets: a document refused before its first result is an error result.
        source = await super().stream(*args, **kwargs)
        return refusals_as_results(source, self.process_errors)


def limit_rules() -> list:
    """The depth and alias limits as validation-rule classes, to be built once per schema.

    QueryDepthLimiter and MaxAliasesLimiter mint new rule classes on every
    instantiation, and ValidationCache keys on the rule classes: built per request,
    they made every lookup a miss (measured: 0 hits in 1,500 identical requests).
    """
    return [
        *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]


class LimitRules(SchemaExtension):
    """Strawberry's AddValidationRules, on validation instead of on operation.

    An operation hook is held (with its generator and context manager) for as long as
    the operation runs, which for a subscription is as long as a client follows it;
    this one's work is over once the document is validated. Listed before DocumentWork,
    whose validation reads the rules.
    """

    def __init__(self, rules: list) -> None:
        self.rules = tuple(rules)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield


def build_schema(
    *,
    mask_unexpected_errors: bool = True,
    limits: DocumentLimits | None = None,
    observers: Sequence[type[SchemaExtension]] = (),
    on_errors: Callable[[list[GraphQLError]], None] | None = None,
) -> strawberry.Schema:
    """The schema with its limits and caches (extensions as factories, per Strawberry).

    `observers` (extensions) and `on_errors` (called with each batch of errors once
    they have their code) let the API watch operations without the schema knowing how.
    """
    rules = limit_rules()
    limits = limits or DocumentLimits()
    limit_validation_work(limits.validation_complexity)
    parsed, validated = LeastRecentlyUsed(CACHE_SIZE), LeastRecentlyUsed(CACHE_SIZE)
    return StudygraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Reached only through the MessageEvent interface, so listed explicitly.
        types=MESSAGE_EVENT_TYPES,
        mask_unexpected_errors=mask_unexpected_errors,
        on_errors=on_errors,
        # Plain parts of answers and subscription events as compiled projections
        # instead of graphql-core's per-field execution (schema/execution/projection.py).
        execution_context_class=ProjectingExecutor,
        extensions=[
            OperationScope,
            # Before the parser cache, so that its limits reach the parser and its
            # checks see the parsed document before any validation rule does.
            lambda: DocumentLimitsExtension(limits),
            lambda: LimitRules(rules),
            # Strawberry's ParserCache and ValidationCache, but what they miss is parsed
            # and validated off the event loop (schema/document_work.py).
            lambda: DocumentWork(parsed, validated),
            QueryCostLimit,
            *observers,
        ],
    )
