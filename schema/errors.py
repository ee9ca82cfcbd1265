"""The one place where failures become GraphQL errors with `extensions.code`.

- A DomainError from db/ or agents/ keeps its message and gets its code.
- An error without a path happened before execution (syntax, validation, depth or
  alias limits, variable coercion): BAD_USER_INPUT, message kept so clients can fix it.
- Anything else is a bug: logged with its traceback, INTERNAL_SERVER_ERROR, and its
  message replaced outside development so no internals leak.
"""

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from db.errors import DomainError

logger = logging.getLogger("studygraph.errors")

MASKED_MESSAGE = "Internal server error."


def is_unexpected(error: GraphQLError) -> bool:
    """True for an error no client input explains: a bug or an outage."""
    return error.path is not None and not isinstance(error.original_error, DomainError)


def classify(error: GraphQLError, *, mask_unexpected: bool) -> GraphQLError:
    """A copy of the error with its code, and its message masked when it must be."""
    original = error.original_error
    if isinstance(original, DomainError):
        details = {key: value for key, value in original.details.items() if value is not None}
        return _with(error, original.message, {"code": original.code, **details})
    if not is_unexpected(error):
        code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
        return _with(error, error.message, {**(error.extensions or {}), "code": code})
    message = MASKED_MESSAGE if mask_unexpected else error.message
    return _with(error, message, {"code": "INTERNAL_SERVER_ERROR"})


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log bugs with their traceback; client mistakes are not server errors."""
    for error in errors:
        if is_unexpected(error):
            logger.error("unexpected error at %s", error.path, exc_info=error.original_error)


def _with(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Applies `classify` to every error of a result."""

    def __init__(self, *, mask_unexpected: bool) -> None:
        self.mask_unexpected = mask_unexpected

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [
                classify(error, mask_unexpected=self.mask_unexpected) for error in result.errors
            ]
