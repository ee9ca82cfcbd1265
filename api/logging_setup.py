"""Log lines as text (the default) or one JSON object per line (STUDYGRAPH_LOG_FORMAT=json).

Every line written while a request is served carries its request id, in both formats,
uvicorn's own access and error lines included: the handlers add it from the request's
context (api/request_id.py), not the code that logs.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from api.request_id import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Attributes every LogRecord has (and uvicorn's colour copy of the message); anything
# else was passed with `extra=` and is kept.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "request_id", "color_message"}
)


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class ForcedExitTraceback(logging.Filter):
    """Drops the tracebacks uvicorn logs when a forced exit cancels the app's tasks.

    A second Ctrl-C makes uvicorn skip the graceful shutdown and cancel what still runs:
    each request cut short is logged as "Exception in ASGI application" with its
    CancelledError, and the lifespan's cancellation as a failed shutdown, a page of
    traceback text ending in CancelledError. The lifespan says "forced exit" in one line
    instead (api/app.py); any other failure still prints its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            return False
        message = record.msg
        return not (
            isinstance(message, str)
            and message.startswith("Traceback (most recent call last)")
            and message.rstrip().endswith("asyncio.exceptions.CancelledError")
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def logging_config(*, level: str, json_format: bool) -> dict[str, Any]:
    """A dictConfig for the root logger and uvicorn's loggers (given to uvicorn, which
    applies it in every worker)."""
    formatter = {"()": JsonFormatter} if json_format else {"format": TEXT_FORMAT, "datefmt": None}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "forced_exit": {"()": ForcedExitTraceback},
        },
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            # uvicorn's loggers propagate to the root's handler: one format for all.
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {
                "handlers": [],
                "level": level.upper(),
                "propagate": True,
                "filters": ["forced_exit"],
            },
            "uvicorn.access": {"handlers": [], "level": level.upper(), "propagate": True},
        },
    }
