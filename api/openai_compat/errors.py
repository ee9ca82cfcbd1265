"""Errors in OpenAI's shape: {"error": {"message", "type", "code", "param"}} and a status."""

from starlette.responses import JSONResponse

from db.errors import BadUserInput, Conflict, DomainError, NotFound, RateLimited, Unauthenticated

# How long a client should wait after a budget or running-answer refusal (no exact
# moment is known for those: an answer may end at any time).
DEFAULT_RETRY_AFTER_SECONDS = 30


class ApiError(Exception):
    """A refusal this API answers with `status` and OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        body = {
            "error": {
                "message": self.message,
                "type": self.type,
                "code": self.code,
                "param": self.param,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=headers)


def invalid_request(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(400, message, type="invalid_request_error", code="invalid_request", param=param)


def from_domain_error(error: DomainError) -> ApiError:
    """The API error for a refusal of the domain layer (its message is safe to show)."""
    if isinstance(error, Unauthenticated):
        return ApiError(401, error.message, type="authentication_error", code="invalid_api_key")
    if isinstance(error, RateLimited):
        return ApiError(
            429,
            error.message,
            type="rate_limit_error",
            code="rate_limit_exceeded",
            # The domain's own wait when it gives one (a spent budget: the learner's
            # midnight; a throttle: its window), as GraphQL's extensions carry it.
            retry_after=int(error.details.get("retryAfterSeconds") or DEFAULT_RETRY_AFTER_SECONDS),
        )
    if isinstance(error, NotFound):
        kind = str(error.details.get("kind") or "object")
        return ApiError(404, error.message, type="invalid_request_error", code=f"{kind}_not_found")
    if isinstance(error, Conflict):
        return ApiError(409, error.message, type="invalid_request_error", code="conflict")
    if isinstance(error, BadUserInput):
        field = error.details.get("field")
        return invalid_request(error.message, param=str(field) if field else None)
    return invalid_request(error.message)
