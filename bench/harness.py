"""What every bench script shares: server processes, readiness, CPU readings, the entry point.

A bench starts its contenders with `running_servers([ServerSpec(...), ...], workdir)`
(each on a free port of 127.0.0.1, its output in `<workdir>/<name>.log`, stopped on the
way out, also when something fails), waits for each with `wait_ready`, measures, prints
with `print_table` or its own report, and wraps all of it in `run_main`, which sets up
logging and turns the errors a bench expects into exit status 2.
"""

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvloop

logger = logging.getLogger("bench")

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0
# Loggers that would report every request or migration step at INFO.
NOISY_LOGGERS = ("httpx", "httpcore", "alembic", "websockets")
# What a bench that cannot run raises: reported in one line, exit status 2.
BENCH_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,
    OSError,
    TimeoutError,
    subprocess.SubprocessError,
    httpx.HTTPError,
)


# --- server processes -----------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    log_path: Path


@dataclass(frozen=True)
class ServerSpec:
    """A process to start: its command and environment, given the port it listens on."""

    name: str
    command: Callable[[int], list[str]]
    env: Callable[[int], dict[str, str]]
    # A port picked beforehand (another server's settings name it), else a free one.
    port: int | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def studygraph_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "studygraph"
    return [str(script), "serve", "--host", HOST, "--port", str(port), "--workers", "1"]


def studygraph_env(database_url: str, secret: str) -> dict[str, str]:
    """Production settings; inherited STUDYGRAPH_* settings (a Redis broadcast, say)
    would make runs incomparable, so they are dropped."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STUDYGRAPH_")}
    env.update(
        STUDYGRAPH_ENV="production",
        STUDYGRAPH_JWT_SECRET=secret,
        STUDYGRAPH_DATABASE_URL=database_url,
        STUDYGRAPH_LOG_LEVEL="warning",
    )
    return env


def uvicorn_command(app: str, port: int) -> list[str]:
    """A bench/ Starlette app under the same uvicorn defaults as `studygraph serve`
    (uvloop, httptools), one process."""
    listen = ["--host", HOST, "--port", str(port), "--log-level", "warning"]
    return [sys.executable, "-m", "uvicorn", app, "--app-dir", str(BENCH_DIR), *listen]


def spawn(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int) -> Server:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        # The child keeps its own copy of the descriptor; ours can close right away.
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    logger.info("started %s (pid %d) on %s:%d", name, process.pid, HOST, port)
    return Server(name, process, f"http://{HOST}:{port}", log_path)


def stop(server: Server) -> None:
    """SIGTERM for a graceful shutdown (uvicorn, node), SIGKILL if it does not come."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM; killing it", server.name)
            server.process.kill()
            server.process.wait(STOP_GRACE_SECONDS)
    logger.info("stopped %s (exit %s)", server.name, server.process.returncode)


@contextlib.contextmanager
def running_servers(specs: Sequence[ServerSpec], workdir: Path) -> Iterator[list[Server]]:
    """The servers, started in order; all stopped (last first) on the way out."""
    servers: list[Server] = []
    try:
        for spec in specs:
            port = spec.port or free_port()
            servers.append(spawn(spec.name, spec.command(port), spec.env(port), workdir, port))
        yield servers
    finally:
        for server in reversed(servers):
            stop(server)


def log_tail(server: Server, lines: int = 20) -> str:
    text = server.log_path.read_text(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


async def wait_ready(
    client: httpx.AsyncClient,
    server: Server,
    path: str = "/healthz",
    within: float = STARTUP_TIMEOUT_SECONDS,
) -> None:
    """Polls `path` until it answers 200; RuntimeError (with its log) if the server exits
    or is not ready within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}:\n{log_tail(server)}"
            )
        with contextlib.suppress(httpx.TransportError):
            response = await client.get(f"{server.base_url}{path}", timeout=1)
            if response.status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.name} not ready in {within:.0f} s")


# --- CPU and the host -----------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process from /proc (Linux only; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name start at field 3; utime is 14, stime 15.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_busy_seconds() -> float | None:
    """CPU time all cores spent not idle, from /proc/stat (Linux only; None elsewhere)."""
    try:
        first_line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal: only user, nice, system, irq and
    # softirq are work done here (steal is time a VM's hypervisor gave to someone else).
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(value) for value in first_line.split()[1:8]
    )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    # Other work on the host skews every figure; say how busy it was.
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def run_load(coroutine):
    """Run on uvloop, as the servers do: the load generator's own CPU is the least."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


# --- output and the entry point -------------------------------------------------------


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns as wide as their widest cell; the first left-aligned, the rest right."""
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())


def run_main(
    run: Callable[[], int], *, errors: tuple[type[BaseException], ...] = BENCH_ERRORS
) -> int:
    """Logging to stderr, then `run()`'s exit status; 2 when it raised one of `errors`
    (the bench could not run), logged in one line."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return run()
    except errors as error:
        logger.error("benchmark aborted: %s", error)
        return 2
