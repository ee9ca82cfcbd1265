"""`studygraph serve | migrate | export-schema | demo`.

This module imports little at the top: each uvicorn worker is a fresh interpreter that
imports it first, and answers the supervisor's health checks only afterwards (see
api/workers.py). The database, schema and app are imported where a command needs them.
"""

import argparse
import asyncio
import logging
import logging.config
import os
import sys
from pathlib import Path

from api.logging_setup import logging_config
from api.metrics_directory import prepare_metrics_directory, remove_metrics_directory
from api.settings import Settings

logger = logging.getLogger("studygraph.serve")


def export_schema_sdl() -> str:
    """The schema as SDL, as committed in schema.graphql."""
    from schema.build import build_schema

    return build_schema().as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studygraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes; default one per core with a shared broadcast backend, else 1",
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    commands.add_parser(
        "demo", help="create (or refresh) a demo learner with material, cards and a goal"
    )
    export = commands.add_parser("export-schema", help="print or write the GraphQL SDL")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)

    if args.command == "export-schema":
        sdl = export_schema_sdl()
        if args.output:
            args.output.write_text(sdl)
        else:
            sys.stdout.write(sdl)
        return 0

    settings = Settings()
    log_config = logging_config(level=settings.log_level, json_format=settings.log_format == "json")
    logging.config.dictConfig(log_config)
    if args.command == "serve":
        try:
            workers = serve_workers(args.workers, settings.broadcast_url)
        except ValueError as error:
            parser.error(str(error))
    from db.engine import normalize_database_url
    from db.migrate import upgrade_database

    asyncio.run(upgrade_database(normalize_database_url(settings.database_url)))
    if args.command == "migrate":
        return 0
    if args.command == "demo":
        from api.demo.command import run_demo

        return run_demo(settings)
    run_server(settings, host=args.host, port=args.port, workers=workers, log_config=log_config)
    return 0


def run_server(settings: Settings, *, host: str, port: int, workers: int, log_config: dict) -> None:
    """Run the API under uvicorn (migrations already applied)."""
    warning = asyncio.run(connection_budget_warning(settings, workers))
    if warning:
        logger.warning(warning)
    # Before any worker imports prometheus_client: all of them write their metrics there.
    metrics_directory, made_here = prepare_metrics_directory()
    try:
        _run_uvicorn(settings, host=host, port=port, workers=workers, log_config=log_config)
    finally:
        remove_metrics_directory(metrics_directory, made_here=made_here)


def _run_uvicorn(
    settings: Settings, *, host: str, port: int, workers: int, log_config: dict
) -> None:
    import uvicorn

    from api import workers as worker_supervision

    config = uvicorn.Config(
        "api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # X-Forwarded-For is read by the app, from STUDYGRAPH_TRUSTED_PROXIES only
        # (api/app.py); uvicorn's own default would trust any client on 127.0.0.1.
        proxy_headers=False,
        log_config=log_config,
        timeout_worker_healthcheck=worker_supervision.WORKER_HEALTHCHECK_SECONDS,
        **uvicorn_options(settings),
    )
    worker_supervision.run(config)


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn's protocol options for the server (bench/traced_server.py uses them too)."""
    from api.lean_websockets import LeanWebSocketsProtocol

    return {
        # Named, not "auto", so a missing extra fails loudly instead of silently
        # falling back to asyncio's loop and the pure-Python HTTP parser.
        "loop": "uvloop",
        "http": "httptools",
        # uvicorn's sans-I/O protocol, holding less per socket (api/lean_websockets.py).
        "ws": LeanWebSocketsProtocol,
        "ws_per_message_deflate": settings.websocket_compression,
        # The same cap as HTTP bodies, for each websocket message (uvicorn allows 16 MiB).
        "ws_max_size": settings.max_request_bytes,
    }


async def connection_budget_warning(settings: Settings, workers: int) -> str | None:
    """Why PostgreSQL may refuse connections to these workers at full load, or None.

    Pools open connections only as load needs them, so a budget over the limit serves
    fine until a busy moment, then fails with "too many clients": say so at start-up.
    """
    from db.engine import connection_limit, connections_per_process

    limit = await connection_limit(settings.database_url)
    if limit is None:
        return None
    needed = workers * connections_per_process(settings.database_pool_size)
    if needed <= limit:
        return None
    return (
        f"{workers} worker(s) may open up to {needed} PostgreSQL connections "
        f"(STUDYGRAPH_DATABASE_POOL_SIZE={settings.database_pool_size} plus a third each), "
        f"more than the {limit} the server allows ordinary roles; lower the pool size or "
        "--workers, raise max_connections, or put PgBouncer in front"
    )


def serve_workers(requested: int | None, broadcast_url: str) -> int:
    """How many processes `serve` runs: one per core unless events cannot cross them.

    Each process runs its own answers, and a subscriber may sit on any process, so
    `memory://` (events stay inside one process) allows only one.
    """
    from db.pubsub import BroadcastKind, broadcast_kind

    shared = broadcast_kind(broadcast_url) != BroadcastKind.MEMORY
    if requested is None:
        return (os.cpu_count() or 1) if shared else 1
    if requested < 1:
        raise ValueError("--workers must be at least 1")
    if requested > 1 and not shared:
        raise ValueError(
            "--workers > 1 needs a shared broadcast backend: with memory:// a subscriber on "
            "one process never sees an answer streaming on another; set "
            "STUDYGRAPH_BROADCAST_URL to redis://... or postgres://..."
        )
    return requested


if __name__ == "__main__":
    sys.exit(main())
