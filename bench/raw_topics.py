"""Baseline for bench/topics_rate.py: a user's 20 newest topics with no GraphQL and no ORM.

Starlette plus SQLAlchemy Core on the same `topics` table, answering the same JSON
shape as studygraph's `{ topics(first: 20) { edges { node { id title createdAt } } } }`.
It checks no token: the user id comes from `?user_id=`. It imports nothing from
studygraph, so it measures what the stack underneath costs on its own.

Started by topics_rate.py as `uvicorn raw_topics:app --app-dir bench`; the database
URL comes from BENCH_RAW_DATABASE_URL (postgresql+asyncpg or sqlite+aiosqlite).
"""

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAGE_SIZE = 20
# The pool studygraph's engine uses, so neither side waits for connections more.
POOL_SIZE = 10

# Only the columns the answer needs; the table itself is studygraph's, made by its migrations.
topics = Table(
    "topics",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer),
    Column("title", String),
    Column("created_at", DateTime(timezone=True)),
)

NEWEST_TOPICS = (
    select(topics.c.id, topics.c.title, topics.c.created_at)
    .where(topics.c.owner_id == bindparam("owner_id"))
    .order_by(topics.c.id.desc())
    .limit(PAGE_SIZE)
)


def global_id(row_id: int) -> str:
    """studygraph's opaque Relay ID, so both answers can be compared byte for byte."""
    return base64.b64encode(f"Topic:{row_id}".encode()).decode()


def iso_utc(value: datetime) -> str:
    # SQLite hands back naive UTC; studygraph marks it UTC before Strawberry's isoformat().
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def node(row_id: int, title: str, created_at: datetime) -> dict[str, str]:
    return {"id": global_id(row_id), "title": title, "createdAt": iso_utc(created_at)}


async def list_topics(request: Request) -> JSONResponse:
    try:
        owner_id = int(request.query_params["user_id"])
    except (KeyError, ValueError):
        return JSONResponse({"error": "user_id must be an integer"}, status_code=400)
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(NEWEST_TOPICS, {"owner_id": owner_id})).all()
    edges = [{"node": node(row.id, row.title, row.created_at)} for row in rows]
    return JSONResponse({"data": {"topics": {"edges": edges}}})


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["BENCH_RAW_DATABASE_URL"]
    pool = {} if url.startswith("sqlite") else {"pool_size": POOL_SIZE, "max_overflow": POOL_SIZE}
    app.state.engine = create_async_engine(url, **pool)
    try:
        yield
    finally:
        await app.state.engine.dispose()


app = Starlette(
    routes=[Route("/topics", list_topics), Route("/healthz", healthz)],
    lifespan=lifespan,
)
