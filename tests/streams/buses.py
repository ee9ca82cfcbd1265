"""A schema harness whose bus is memory://, redis:// or postgres:// (LISTEN/NOTIFY)."""

import os
import socket
import uuid
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.engine import make_url

from db.engine import create_engine, create_session_factory
from db.pubsub import Bus
from schema.build import build_schema
from tests.databases import postgres_admin_url
from tests.harness import SchemaHarness

REDIS_URL = os.environ.get("STUDYGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BUS_KINDS = ["memory", "redis", "postgres"]


def bus_url(kind: str) -> str:
    """The backend's URL, or a skip (a failure where the run requires it)."""
    if kind == "memory":
        return "memory://"
    if kind == "redis":
        url, switch = REDIS_URL, "STUDYGRAPH_REQUIRE_REDIS"
    else:
        postgres = make_url(postgres_admin_url()).set(drivername="postgres")
        url, switch = postgres.render_as_string(hide_password=False), "STUDYGRAPH_REQUIRE_POSTGRES"
    parsed = make_url(url)
    try:
        socket.create_connection((parsed.host, parsed.port), timeout=2).close()
    except OSError:
        if os.environ.get(switch) == "1":
            pytest.fail(f"{switch}=1 but {kind} at {url} is unreachable")
        pytest.skip(f"{kind} at {url} is unreachable")
    return url


@asynccontextmanager
async def harness_on_bus(database_url: str, kind: str):
    """A started harness on the database and the bus of that kind (its own namespace)."""
    engine = create_engine(database_url)
    bus = Bus(bus_url(kind), namespace=f"test{uuid.uuid4().hex[:8]}")
    await bus.connect()
    harness = SchemaHarness(create_session_factory(engine), bus, build_schema())
    await harness.generations.start(reap=False)
    try:
        yield harness
    finally:
        await harness.generations.close()
        await bus.disconnect()
        await engine.dispose()
