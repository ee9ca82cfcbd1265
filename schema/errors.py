"""The one place where failures become GraphQL errors with `extensions.code`.

- A DomainError from db/ or agents/ keeps its message and gets its code.
- An error without a path happened before execution (syntax, validation, depth or
  alias limits, variable coercion): BAD_USER_INPUT, message kept so clients can fix it.
- Anything else is a bug or an outage: logged with its traceback,
  INTERNAL_SERVER_ERROR, and its message replaced outside development.

This runs from `Schema.process_errors`, which Strawberry calls on every path (a
SchemaExtension's on_operation misses syntax errors raised inside ParserCache), and
edits the very error objects the response is built from.
"""

import logging

from graphql import GraphQLError

from db.errors import BadUserInput, DomainError

logger = logging.getLogger("studygraph.errors")

MASKED_MESSAGE = "Internal server error."


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
        if isinstance(original, DomainError):
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
