"""`studygraph serve | migrate | export-schema`."""

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import uvicorn

from api.settings import Settings
from db.engine import normalize_database_url
from db.migrate import upgrade_database
from schema.build import build_schema


def export_schema_sdl() -> str:
    """The schema as SDL, as committed in schema.graphql."""
    return build_schema().as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studygraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (one per core)")
    commands.add_parser("migrate", help="apply database migrations and exit")
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
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(upgrade_database(normalize_database_url(settings.database_url)))
    if args.command == "migrate":
        return 0
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        # The same cap as HTTP bodies, for each websocket message (uvicorn allows 16 MiB).
        ws_max_size=settings.max_request_bytes,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
