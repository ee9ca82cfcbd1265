"""A studygraph server under tracemalloc, driven by bench/subscription_memory.py.

    python bench/traced_server.py PORT

Serves the app of whichever source tree comes first on sys.path (the bench puts a tree
on PYTHONPATH to measure another commit's code with this script), under uvicorn with
the options `studygraph serve` gives it, in this one process, with tracemalloc on.
Reads commands on standard input, one a line, and answers each on standard output:

- `trace FRAMES`: tracemalloc on, keeping FRAMES frames of each traceback (one is
  enough to attribute each block to its file and package; more tell who called the
  allocating line). On only from then: start-up under tracemalloc is slow;
- `settle N`: returns once N subscriptions more than at `trace` listen on the bus
  (their reads done, they wait for events) and the traced total has stopped moving
  (two readings 0.5 s apart within 16 KiB), at most 60 s;
- `snapshot PATH`: a full collection, then a tracemalloc snapshot dumped to PATH;
- `quit`: a graceful shutdown.

Bench only: production code has no tracemalloc hook.
"""

import asyncio
import gc
import sys
import tracemalloc

import uvicorn
import uvloop

from api.app import create_app
from api.metrics_directory import prepare_metrics_directory
from api.settings import Settings


def uvicorn_config(settings: Settings, app, port: int) -> uvicorn.Config:
    """`studygraph serve`'s options (api/cli.py), from the tree's own function when it has
    one, else the options it had before that function existed."""
    from api import cli

    options = getattr(cli, "uvicorn_options", None)
    if options is not None:
        chosen = options(settings)
    else:
        chosen = {
            "loop": "uvloop",
            "http": "httptools",
            "ws_per_message_deflate": settings.websocket_compression,
            "ws_max_size": settings.max_request_bytes,
        }
    return uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False, **chosen
    )


def listening(app) -> int:
    """Subscriptions registered on the app's bus (db/pubsub.py)."""
    return app.state.bus.subscriber_count()


async def settled(app, subscriptions: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while listening(app) != subscriptions and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)  # polled: the bus has no event for "N listen"
    previous = -1
    while loop.time() < deadline:
        gc.collect()
        current = tracemalloc.get_traced_memory()[0]
        if abs(current - previous) <= 16 * 1024:
            return
        previous = current
        await asyncio.sleep(0.5)
    raise RuntimeError(f"not settled: {listening(app)} of {subscriptions} subscriptions listen")


async def serve(port: int) -> None:
    settings = Settings()
    app = create_app(settings, tune_runtime=True)
    server = uvicorn.Server(uvicorn_config(settings, app, port))
    serving = asyncio.create_task(server.serve())
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, _, argument = line.partition(" ")
        if command == "trace":
            # The app's own listeners (the tutor's control channel) are not counted.
            own = listening(app)
            tracemalloc.start(int(argument))
            print("done", flush=True)
        elif command == "settle":
            await settled(app, own + int(argument))
            print("done", flush=True)
        elif command == "snapshot":
            gc.collect()
            tracemalloc.take_snapshot().dump(argument)
            print("done", flush=True)
        elif command == "quit":
            break
    server.should_exit = True
    await serving


def main() -> None:
    prepare_metrics_directory()
    uvloop.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
