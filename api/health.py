"""Liveness and readiness for load balancers and orchestrators."""

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 3


async def healthz(_: Request) -> JSONResponse:
    """Alive: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: the database and the broadcast backend answer, each within a few seconds."""
    state = request.app.state
    checks = {"database": _check_database(state.engine), "broadcast": state.bus.check()}
    results = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as error:  # any failure means "not ready", and says which
            logger.warning("readiness check %s failed: %r", name, error)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **results}, status_code=200 if ready else 503
    )


async def _check_database(engine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
