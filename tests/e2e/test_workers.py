"""`serve --workers 2` under CPU pressure, and a clean Ctrl-C on every broadcast backend.

Under load, uvicorn's supervisor used to kill workers that were still importing the app
(its health check waited 5 s) and start new ones, over and over. Here two workers start
while CPU burners keep both cores busy, and both must come up and serve: each keeps
the connections it accepted, so /proc shows which process holds each one.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

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
)
from tests.e2e.test_chat_e2e import REDIS_URL, require_redis

# The burners stop by themselves even if the test is killed; the test stops them as
# soon as both workers are up. Start-up is slow on a machine this busy: the bound is for
# a crash loop or a hang, not for a slow start.
BURN_SECONDS = 300
WORKERS_UP_SECONDS = 240
CONNECTIONS_MAX = 80
SERVE_DEADLINE_SECONDS = 60


@contextlib.contextmanager
def cpu_burners(count: int) -> Iterator[None]:
    loop = (
        f"import time\nend = time.monotonic() + {BURN_SECONDS}\nwhile time.monotonic() < end: pass"
    )
    burners = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@contextlib.contextmanager
def serving_with_two_workers(database_url: str, workdir: Path, env: dict):
    port = free_port()
    log = workdir / f"workers-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(STUDYGRAPH), "serve", "--host", HOST, "--port", str(port), "--workers", "2"],
            cwd=workdir,
            env=server_env(database_url, env),
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group: the workers go with it whatever happens here.
            start_new_session=True,
        )
    server = Server(f"http://{HOST}:{port}", "postgresql", process, log)
    try:
        yield server
    finally:
        stop(process)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_for_workers(server: Server, count: int) -> str:
    """The supervisor's output once `count` workers have started (fails on a death)."""
    deadline = time.monotonic() + WORKERS_UP_SECONDS
    while time.monotonic() < deadline:
        output = server.output()
        if "died" in output or "health check" in output or server.process.poll() is not None:
            pytest.fail(f"a worker died while starting:\n{output}")
        if output.count("Application startup complete") >= count:
            return output
        time.sleep(0.5)
    pytest.fail(f"{count} workers did not start within {WORKERS_UP_SECONDS} s:\n{output}")


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()}


def established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections on our side of `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    inodes.add(fields[9])
    return inodes


def holders(pids: set[int], inodes: set[str]) -> set[int]:
    """Which of `pids` hold one of the socket inodes."""
    holding = set()
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    holding.add(pid)
                    break
    return holding


def workers_serving(server: Server) -> set[int]:
    """Worker pids that answered a request, found by keeping connections open."""
    port = int(server.base_url.rsplit(":", 1)[1])
    workers = children(server.process.pid)
    clients, serving = [], set()
    deadline = time.monotonic() + SERVE_DEADLINE_SECONDS
    try:
        while len(clients) < CONNECTIONS_MAX and time.monotonic() < deadline:
            client = httpx.Client(base_url=server.base_url, timeout=30)
            clients.append(client)
            assert client.get("/readyz").status_code == 200
            serving = holders(workers, established_inodes(port))
            if len(serving) >= 2:
                break
            time.sleep(0.2)
    finally:
        for client in clients:
            client.close()
    return serving


@pytest.fixture
def postgres_url(request, tmp_path) -> Iterator[str]:
    require_postgres()
    with migrated_database("postgresql", request, tmp_path) as url:
        yield url


def test_two_workers_start_under_cpu_pressure_and_both_serve(postgres_url, tmp_path):
    require_redis()
    env = {"STUDYGRAPH_BROADCAST_URL": REDIS_URL}
    with serving_with_two_workers(postgres_url, tmp_path, env) as server:
        with cpu_burners(os.cpu_count() or 1):
            wait_for_workers(server, 2)
        serving = workers_serving(server)
        output = server.output()
    assert len(serving) == 2, f"workers serving: {serving}\n{output}"
    assert "died" not in output and "health check" not in output, output
    assert output.count("Started server process") == 2, "no worker was replaced"


def broadcast_url(kind: str, database_url: str) -> str:
    if kind == "redis":
        require_redis()
        return REDIS_URL
    if kind == "postgres":
        return make_url(database_url).set(drivername="postgres").render_as_string(False)
    return "memory://"


@pytest.mark.parametrize("kind", ["memory", "postgres", "redis"])
def test_ctrl_c_shuts_down_cleanly_on_every_broadcast_backend(kind, postgres_url, tmp_path):
    env = {"STUDYGRAPH_BROADCAST_URL": broadcast_url(kind, postgres_url)}
    with running_server(postgres_url, tmp_path, **env) as server:
        server.process.send_signal(signal.SIGINT)
        exit_code = server.process.wait(timeout=30)
        output = server.output()
    assert exit_code == 0, output
    assert "Traceback" not in output and "connection lost" not in output, output
    assert "Application shutdown complete" in output


def request_left_half_sent(base_url: str) -> socket.socket:
    """A request whose body never finishes arriving, so a graceful shutdown waits for
    it (as it would for a slow upload)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    connection.sendall(
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        'Content-Length: 1000\r\n\r\n{"query": '.encode()
    )
    return connection


def wait_for_output(server: Server, text: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while text not in server.output():
        assert time.monotonic() < deadline, f"no {text!r} in:\n{server.output()}"
        time.sleep(0.05)


def test_a_second_ctrl_c_forces_the_exit_with_one_line_not_a_traceback(postgres_url, tmp_path):
    # A second Ctrl-C makes uvicorn skip the graceful shutdown: the lifespan is cancelled
    # where it waits, and Starlette reported that cancellation as a failed shutdown
    # with a page of traceback. A forced exit is what was asked for: say so in one line.
    with running_server(postgres_url, tmp_path) as server:
        with request_left_half_sent(server.base_url):
            # Answered after the loop has read the half-sent request (sent before it):
            # the request is in progress when the first signal comes.
            assert httpx.get(f"{server.base_url}/healthz").status_code == 200
            server.process.send_signal(signal.SIGINT)
            wait_for_output(server, "Waiting for connections to close")
            server.process.send_signal(signal.SIGINT)
            exit_code = server.process.wait(timeout=30)
        output = server.output()
    assert exit_code == 0, output
    assert "Traceback" not in output and "CancelledError" not in output, output
    assert "forced exit" in output, output


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_ctrl_c_in_a_terminal_stops_two_workers_cleanly(kind, postgres_url, tmp_path):
    # A terminal's Ctrl-C signals the whole foreground process group: the supervisor
    # and every worker at once. On Redis, each worker printed a "redis pub/sub
    # connection lost" traceback: the connection was closed under its listener.
    env = {"STUDYGRAPH_BROADCAST_URL": broadcast_url(kind, postgres_url)}
    with serving_with_two_workers(postgres_url, tmp_path, env) as server:
        wait_for_workers(server, 2)
        assert len(workers_serving(server)) == 2
        os.killpg(server.process.pid, signal.SIGINT)
        exit_code = server.process.wait(timeout=60)
        output = server.output()
    assert exit_code == 0, output
    assert "Traceback" not in output and "connection lost" not in output, output
    assert output.count("Application shutdown complete") == 2, output
