"""The built web app at /: index.html revalidated with a strict CSP, hashed assets
cached for a year and sent gzipped, client routes answered with the app, and every
path the API owns left alone."""

import gzip
import re

import httpx
import pytest

from api.app import create_app
from api.webapp import ASSETS_DIR, CONTENT_SECURITY_POLICY, DIST_DIR

HTML = "text/html"


async def fetch(settings, *paths: str, **headers: str) -> list[httpx.Response]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return [await http.get(path, headers=headers) for path in paths]


def asset_paths(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


async def test_root_is_the_app_revalidated_under_a_strict_policy(settings):
    [page] = await fetch(settings, "/", accept=HTML, **{"accept-encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-type"].startswith(HTML)
    assert page.headers["content-encoding"] == "gzip"
    assert page.text == (DIST_DIR / "index.html").read_text()
    assert page.headers["cache-control"] == "no-cache" and page.headers["etag"]
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert '<div id="root">' in page.text

    [again] = await fetch(settings, "/", **{"if-none-match": page.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "sent",
    ["W/{etag}", '"old", {etag}', '"old",W/{etag}', "*"],
    ids=["weak", "list", "list-weak", "any"],
)
async def test_a_weak_or_listed_etag_still_revalidates(settings, sent):
    # A proxy that gzips on the way marks the tag weak; a browser holding several
    # versions sends them all. Either way the page it has is current.
    [page] = await fetch(settings, "/")
    header = sent.format(etag=page.headers["etag"])
    [again] = await fetch(settings, "/", **{"if-none-match": header})
    assert again.status_code == 304, header
    [other] = await fetch(settings, "/", **{"if-none-match": 'W/"old", "older"'})
    assert other.status_code == 200


def test_the_build_has_no_inline_script_or_style_and_nothing_from_elsewhere():
    html = (DIST_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert "<style" not in html and "style=" not in html
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(ref.startswith(("/", "data:")) for ref in references), references
    bundles = " ".join(p.read_text() for p in ASSETS_DIR.glob("*.js"))
    assert "https://unpkg" not in bundles and "cdn.jsdelivr" not in bundles


async def test_hashed_assets_are_immutable_and_gzipped(settings):
    paths = asset_paths((DIST_DIR / "index.html").read_text())
    assert any(p.endswith(".js") for p in paths) and any(p.endswith(".css") for p in paths)
    zipped = await fetch(settings, *paths, **{"accept-encoding": "gzip, br"})
    plain = await fetch(settings, *paths, **{"accept-encoding": "identity"})
    for path, packed, raw in zip(paths, zipped, plain, strict=True):
        expected = (DIST_DIR / path.lstrip("/")).read_bytes()
        for response in (packed, raw):
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.content == expected  # httpx undoes the gzip
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(expected) / 2
        assert "content-encoding" not in raw.headers
        kind = "javascript" if path.endswith(".js") else "css"
        assert kind in packed.headers["content-type"]


def test_every_gzip_twin_holds_its_file():
    twins = sorted(DIST_DIR.rglob("*.gz"))
    assert twins
    for twin in twins:
        assert gzip.decompress(twin.read_bytes()) == twin.with_suffix("").read_bytes(), twin


@pytest.mark.parametrize("path", ["/topics", "/topics/VG9waWM6MQ==", "/sessions/x", "/cards"])
async def test_client_routes_get_the_app(settings, path):
    [page] = await fetch(settings, path, accept=HTML)
    assert page.status_code == 200 and '<div id="root">' in page.text
    assert page.headers["cache-control"] == "no-cache"


async def test_the_api_keeps_its_paths(settings):
    missing = [
        "/v1/nope",
        "/graphiql/nope.js",
        "/healthz/extra",
        "/metrics/extra",
        "/assets/missing.js",
        "/assets/../__init__.py",
        "/assets/%2e%2e/__init__.py",
        "/assets/%00",
        "/favicon.ico",
        "/start/extra",
        "/graphql/extra",
    ]
    answers = await fetch(settings, *missing, accept=HTML)
    for path, answer in zip(missing, answers, strict=True):
        assert answer.status_code == 404, path
        assert '<div id="root">' not in answer.text, path
    ide, health, landing, models = await fetch(
        settings, "/graphql", "/healthz", "/start", "/v1/models", accept=HTML
    )
    assert "GraphiQL" in ide.text and '<div id="root">' not in ide.text
    assert health.status_code == 200 and "json" in health.headers["content-type"]
    assert "studygraph" in landing.text and "/graphql" in landing.text
    assert models.status_code == 401  # the OpenAI-compatible API, not the app


async def test_production_serves_the_app_too(settings):
    production = settings.model_copy(update={"env": "production", "allowed_origins": []})
    [page] = await fetch(production, "/", accept=HTML)
    assert page.status_code == 200 and '<div id="root">' in page.text
