"""/metrics of real `studygraph serve` processes: a production server refuses it to a
client the operator did not allow (and logs the refusal with the request's id); a
two-worker server adds up both workers' values in whichever worker answers the scrape.
"""

import asyncio
import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess
from sqlalchemy.engine import make_url

from tests import databases
from tests.e2e.observing import log_lines_until, scrape
from tests.e2e.servers import (
    HOST,
    STUDYGRAPH,
    Server,
    free_port,
    migrated_database,
    require_postgres,
    running_server,
    server_env,
    stop,
    wait_until_healthy,
)
from tests.metrics_text import value

# --- production ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_server(tmp_path_factory, sqlite_template) -> Iterator[tuple[Server, str]]:
    """A production server that allows /metrics only to 10.0.0.0/8 or a token holder."""
    workdir = tmp_path_factory.mktemp("observe-production")
    url = databases.copy_sqlite(sqlite_template, workdir)
    env = {
        "STUDYGRAPH_ENV": "production",
        "STUDYGRAPH_LOG_FORMAT": "json",
        "STUDYGRAPH_METRICS_ALLOWED_CLIENTS": "10.0.0.0/8",
        "STUDYGRAPH_METRICS_TOKEN": "scraper-token-" + uuid.uuid4().hex,
    }
    with running_server(url, workdir, **env) as running:
        yield running, env["STUDYGRAPH_METRICS_TOKEN"]


async def test_production_refuses_metrics_to_clients_not_allowed(production_server):
    server, token = production_server
    request_id = f"refused-{uuid.uuid4().hex[:8]}"
    refused = scrape(server, **{"x-request-id": request_id})
    assert refused.status_code == 403
    assert "studygraph_" not in refused.text
    assert scrape(server, authorization="Bearer wrong").status_code == 403
    allowed = scrape(server, authorization=f"Bearer {token}")
    assert allowed.status_code == 200
    assert value(allowed.text, "studygraph_embedding_backlog") == 0

    lines = await log_lines_until(server, lambda line: line.get("request_id") == request_id)
    of_request = [line for line in lines if line.get("request_id") == request_id]
    # The refusal (our logger) and the access line (uvicorn's), both with the id.
    assert {line["logger"] for line in of_request} >= {"api.metrics_route", "uvicorn.access"}
    assert token not in server.output()


# --- several workers --------------------------------------------------------------------


@contextlib.contextmanager
def two_worker_server(workdir: Path, database_url: str, metrics_dir: Path) -> Iterator[Server]:
    broadcast = make_url(database_url).set(drivername="postgres")
    env = server_env(
        database_url,
        {
            "STUDYGRAPH_BROADCAST_URL": broadcast.render_as_string(hide_password=False),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    )
    port = free_port()
    log = workdir / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(STUDYGRAPH), "serve", "--host", HOST, "--port", str(port), "--workers", "2"],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://{HOST}:{port}", "postgresql", process, log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)


def served_by_worker(metrics_dir: Path) -> dict[int, float]:
    """GraphQL operations each worker counted, read from its own file."""
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        families = multiprocess.MultiProcessCollector.merge([str(path)], accumulate=False)
        counts[int(path.stem.split("_")[1])] = sum(
            sample.value
            for family in families
            for sample in family.samples
            if sample.name == "studygraph_graphql_requests_total"
        )
    return {pid: count for pid, count in counts.items() if count}


@pytest.fixture
def two_workers(request, tmp_path) -> Iterator[tuple[Server, Path]]:
    """`serve --workers 2` on PostgreSQL, its metrics in a directory the test reads;
    the directory holds a stale file that start-up must remove."""
    require_postgres()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale file of an earlier run")
    with (
        migrated_database("postgresql", request, tmp_path) as url,
        two_worker_server(tmp_path, url, metrics_dir) as server,
    ):
        yield server, metrics_dir


async def test_metrics_add_up_every_workers_values(two_workers):
    server, metrics_dir = two_workers
    assert not (metrics_dir / "counter_1.db").exists()  # the directory started empty
    sent = 0
    async with asyncio.timeout(60):
        # Fresh connections, several at once, until both workers have served some.
        while len(served_by_worker(metrics_dir)) < 2:
            await asyncio.gather(*(one_request(server) for _ in range(8)))
            sent += 8
    per_worker = served_by_worker(metrics_dir)
    assert len(per_worker) == 2
    assert sum(per_worker.values()) == sent
    for _ in range(4):  # whichever worker answers, it reports the total
        text = scrape(server).text
        assert value(text, "studygraph_graphql_requests_total", operation="Info") == sent


async def one_request(server: Server) -> None:
    async with httpx.AsyncClient(timeout=10, headers={"connection": "close"}) as http:
        response = await http.post(
            server.graphql_url, json={"query": "query Info { serverInfo { version } }"}
        )
        assert response.status_code == 200
