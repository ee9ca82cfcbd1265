"""The filter that keeps a forced exit's cancellations out of uvicorn's error log, and
nothing else (the end-to-end case is in tests/e2e/test_workers.py)."""

import asyncio
import logging
import traceback

from api.logging_setup import ForcedExitTraceback


def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, message, None, exc_info)


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def traceback_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(raised(error)))


def test_a_request_cancelled_by_the_forced_exit_is_not_logged():
    cancelled = raised(asyncio.CancelledError())
    assert not ForcedExitTraceback().filter(record("Exception in ASGI application", cancelled))


def test_a_lifespan_cancelled_by_the_forced_exit_is_not_logged():
    text = traceback_text(asyncio.CancelledError())
    assert text.rstrip().endswith("asyncio.exceptions.CancelledError"), text
    assert not ForcedExitTraceback().filter(record(text))


def test_every_other_failure_is_still_logged():
    keep = ForcedExitTraceback()
    assert keep.filter(record("Exception in ASGI application", raised(ValueError("bad"))))
    assert keep.filter(record(traceback_text(RuntimeError("shutdown failed"))))
    assert keep.filter(record("Shutting down"))
