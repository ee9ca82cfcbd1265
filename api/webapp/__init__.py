"""The study web app (web/), built into dist/ and served at / with no Node installed.

`npm run build` in web/ writes dist/: index.html, content-hashed assets under assets/,
and a gzip copy beside each text file. Hashed assets never change under their name,
so they are cached for a year and marked immutable; index.html is revalidated on every
load (no-cache, with an ETag), so a new build reaches learners at once. Any other GET
for a page of the app (a client-side route such as /topics/123) gets index.html, never
a path the API owns.
"""

import hashlib
import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

DIST_DIR = Path(__file__).parent / "dist"
ASSETS_DIR = DIST_DIR / "assets"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Everything from this server: the build has no inline script or style, and the
# websocket is same-origin ('self' covers ws: and wss: on the page's host).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# Paths the app never answers for, so a typo under them is a plain 404, not the app.
RESERVED_PREFIXES = (
    "/graphql",
    "/graphiql",
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1",
    "/assets",
    "/start",
    "/schema.graphql",
    "/README.md",
)


def is_built() -> bool:
    """Whether the repository holds a build of the app (web/ produces it)."""
    return (DIST_DIR / "index.html").is_file()


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _file(path: Path, request: Request, cache_control: str) -> Response:
    """The file, from its precompressed .gz twin when the client takes gzip."""
    headers = {"cache-control": cache_control, "vary": "accept-encoding"}
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    compressed = path.with_name(path.name + ".gz")
    if _accepts_gzip(request) and compressed.is_file():
        headers["content-encoding"] = "gzip"
        return FileResponse(compressed, media_type=media_type, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


async def asset(request: Request) -> Response:
    """A hashed asset; never a file outside assets/ (no dot segments, no .gz by name)."""
    name = request.path_params["name"]
    if "\x00" in name:  # Path.resolve() raises on a NUL byte
        return PlainTextResponse("Not Found", status_code=404)
    path = (ASSETS_DIR / name).resolve()
    if path.parent != ASSETS_DIR.resolve() or name.endswith(".gz") or not path.is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return _file(path, request, IMMUTABLE)


class IndexPage:
    """index.html, revalidated on every load, with the app's Content-Security-Policy."""

    def __init__(self) -> None:
        self.path = DIST_DIR / "index.html"
        self.etag = '"' + hashlib.sha256(self.path.read_bytes()).hexdigest()[:32] + '"'

    async def respond(self, request: Request) -> Response:
        if not _is_app_path(request.url.path):
            return PlainTextResponse("Not Found", status_code=404)
        if _none_match_hits(request.headers.get("if-none-match", ""), self.etag):
            return Response(status_code=304, headers=self._headers())
        response = _file(self.path, request, REVALIDATE)
        response.headers.update(self._headers())
        return response

    def _headers(self) -> dict[str, str]:
        return {
            "etag": self.etag,
            "cache-control": REVALIDATE,
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
        }


def _none_match_hits(header: str, etag: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 13.1.2): any of a comma list, "*", or
    the tag marked W/ (as a proxy that compresses on the way marks it) all match."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def _is_app_path(path: str) -> bool:
    """A page of the app: not under an API prefix and not a file name (no dot)."""
    if any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES):
        return False
    return "." not in path.rsplit("/", 1)[-1]


def routes() -> list[Route]:
    """/assets/*, then / and every app path; to be placed after every other route. None
    when the app is not built (then / is the landing page)."""
    if not is_built():
        return []
    index = IndexPage()
    return [
        Route("/assets/{name:path}", asset, methods=["GET", "HEAD"]),
        Route("/", index.respond, methods=["GET", "HEAD"]),
        Route("/{path:path}", index.respond, methods=["GET", "HEAD"]),
    ]
