"""Running uvicorn with several worker processes that start reliably and say why they die.

uvicorn spawns each worker (a fresh interpreter, not a fork), and its supervisor pings
every worker and kills one that does not answer within `timeout_worker_healthcheck`,
5 s by default. A worker answers from a thread that starts only once the worker has
imported our console script's module, and a worker on a busy 2-core machine used to
spend longer than that importing the app: it was killed, replaced, killed again, and
the log said only "Child process died". So the CLI module imports little (the app is
imported later, while the health-check thread already answers), the health check waits
as long as a slow start can take, and a worker's end is reported with its reason.
"""

import logging
import signal
import sys

from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("studygraph.workers")

# How long the supervisor waits for a worker's health-check answer before it kills it.
# A worker answers within milliseconds once its answering thread runs; this bounds a
# worker that is really stuck, not one starved of CPU while another starts.
WORKER_HEALTHCHECK_SECONDS = 60


def death_reason(exitcode: int | None, *, timeout: float) -> str:
    """Why a worker is gone, in words an operator can act on.

    `exitcode` is the worker's before the supervisor killed it: None if it was still
    running, so it had failed to answer the health check.
    """
    if exitcode is None:
        return (
            f"did not answer the health check within {timeout:g} s (hung, or starved of "
            "CPU); killed"
        )
    if exitcode == STARTUP_FAILURE:
        return f"failed to start (exit code {exitcode}; its log above says why)"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (the out-of-memory killer?)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {exitcode}"


class ReportingMultiprocess(Multiprocess):
    """uvicorn's supervisor, with each worker's death reported and its reason logged.

    Mirrors `Multiprocess.keep_subprocess_alive` of the pinned uvicorn (see
    tests/test_pinned_internals.py) and adds only the reason.
    """

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        timeout = self.config.timeout_worker_healthcheck
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=timeout):
                continue
            exitcode_before_kill = process.exitcode
            process.kill()
            process.join()
            reason = death_reason(exitcode_before_kill, timeout=timeout)
            if process.exitcode == STARTUP_FAILURE:
                logger.error("worker [%s] %s; stopping", process.pid, reason)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.error("worker [%s] %s; starting a new one", process.pid, reason)
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[index] = replacement


def run(config: Config) -> None:
    """Serve `config` in this process, or under the reporting supervisor with workers."""
    server = Server(config=config)
    if config.workers > 1:
        socket = config.bind_socket()
        ReportingMultiprocess(config, sockets=[socket]).run()
        return
    try:
        server.run()
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown: stop quietly
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)  # as uvicorn.run does: the log says why
