"""The one place where failures become GraphQL errors with `extensions.code`.

- A DomainError from db/ or agents/ keeps its message and gets its code.
- An error without a path happened before execution (syntax, validation, depth or
  alias limits, variable coercion): BAD_USER_INPUT, message kept so clients can fix it.
- Anything else is a bug or an outage: logged with its traceback,
  INTERNAL_SERVER_ERROR, and its message replaced outside development.
- Outside development, "Did you mean ...?" suggestions are cut from every message:
  they would spell out the schema to a client that may not introspect it.

This runs from `Schema.process_errors`, which Strawberry calls on every path (a
SchemaExtension's on_operation misses syntax errors raised inside ParserCache), and
edits the very error objects the response is built from.
"""

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

from graphql import GraphQLError
from strawberry.types.execution import PreExecutionError

from db.errors import BadUserInput, DomainError

logger = logging.getLogger("studygraph.errors")

MASKED_MESSAGE = "Internal server error."
# graphql-core ends a message with its suggestions ("... Did you mean 'me'?"); a
# suggestion may span lines (argument and input-field lists).
_SUGGESTION = re.compile(r"\s*Did you mean .*\Z", re.DOTALL)
# graphql-core's word for running out of its validation budget, and Python's for a
# document whose validation recursed too deeply: neither tells the client what to fix.
VALIDATION_ABORTED = "Validation aborted."
TOO_COMPLEX_MESSAGE = (
    "the document is too complex to validate: it repeats fields with the same name "
    "(or spreads fragments) too often, or nests them too deeply"
)


def is_unexpected(error: GraphQLError) -> bool:
    """True for an error no client input explains."""
    return error.path is not None and not isinstance(error.original_error, DomainError)


def apply_error_codes(errors: list[GraphQLError], *, mask_unexpected: bool) -> list[GraphQLError]:
    """Give every error its code, log and (if asked) mask the unexpected ones, in place.

    Returns the errors classified now (process_errors may see an error twice), so that
    each is counted once.
    """
    classified = []
    for error in errors:
        if (error.extensions or {}).get("code"):
            continue  # already classified
        classified.append(error)
        original = error.original_error
        if mask_unexpected:
            error.message = _SUGGESTION.sub("", error.message)
        if error.path is None and (
            error.message == VALIDATION_ABORTED or isinstance(original, RecursionError)
        ):
            error.message = TOO_COMPLEX_MESSAGE
            error.original_error = None  # a RecursionError carries a thousand frames
            error.extensions = {**(error.extensions or {}), "code": BadUserInput.code}
        elif isinstance(original, DomainError):
            details = {key: value for key, value in original.details.items() if value is not None}
            error.message = original.message
            error.extensions = {"code": original.code, **details}
        elif not is_unexpected(error):
            error.extensions = {**(error.extensions or {}), "code": BadUserInput.code}
        else:
            logger.error("unexpected error at %s", error.path, exc_info=original)
            if mask_unexpected:
                error.message = MASKED_MESSAGE
            error.extensions = {"code": DomainError.code}
    return classified


async def refusals_as_results(
    source: AsyncIterator, process_errors: Callable[[list[GraphQLError]], None]
) -> AsyncIterator:
    """A stream whose refusal before its first result (a limit or syntax error an
    extension raised while parsing or validating) becomes a PreExecutionError result.

    Strawberry's HTTP path turns such an exception into an error response, but its
    streaming path (websockets) lets it escape: the socket's task logged a traceback
    and the client got a bare `complete`. As a result, a syntax error closes the
    socket 4400 (graphql-transport-ws) and any other refusal is an `error` message.
    """
    started = False
    try:
        # aclosing: closing this stream (the client completed) closes the source at
        # once, and with it the subscription's quota slot and bus listener.
        async with aclosing(source):
            async for result in source:
                started = True
                yield result
    except (GraphQLError, DomainError) as error:
        if started:
            raise
        refusal = error if isinstance(error, GraphQLError) else _wrapped(error)
        process_errors([refusal])
        yield PreExecutionError(data=None, errors=[refusal])


def _wrapped(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, original_error=error)
