"""GET /start says where to go; GraphiQL's page and bundles come from this server, no CDN.

The browser check (the page renders and signs in with no request leaving 127.0.0.1) is
tests/e2e/test_graphiql_browser.py; these check what the server sends.
"""

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.graphiql import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(settings):
    return settings.model_copy(update={"env": "production", "allowed_origins": []})


async def fetch(settings, *paths: str, accept: str = "*/*") -> list[httpx.Response]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return [await http.get(path, headers={"accept": accept}) for path in paths]


def local_references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_the_landing_page_links_graphiql_health_schema_and_readme(settings):
    landing, readme, schema = await fetch(settings, "/start", "/README.md", "/schema.graphql")
    assert landing.status_code == 200 and "text/html" in landing.headers["content-type"]
    links = set(local_references(landing.text))
    assert {"/graphql", "/healthz", "/readyz", "/schema.graphql", "/README.md"} <= links
    assert "studygraph demo" in landing.text
    assert readme.text.startswith("# studygraph")
    assert schema.text == (ROOT / "schema.graphql").read_text()


async def test_production_lands_without_ide_schema_or_demo(production):
    landing, schema, bundle = await fetch(
        production, "/start", "/schema.graphql", "/graphiql/graphiql.min.js"
    )
    assert landing.status_code == 200
    assert "GraphiQL" not in landing.text and "studygraph demo" not in landing.text
    assert schema.status_code == 404 and bundle.status_code == 404


async def test_the_graphiql_page_loads_everything_from_this_server(settings):
    [page] = await fetch(settings, "/graphql", accept="text/html")
    assert page.status_code == 200
    references = local_references(page.text)
    assert references and all(
        ref.startswith("/") or ref.startswith("data:") for ref in references
    ), references
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    scripts = [ref for ref in references if ref.endswith(".js")]
    served = await fetch(settings, *scripts, *[r for r in references if r.endswith(".css")])
    assert all(response.status_code == 200 for response in served)
    assert 'id="sign-in"' in page.text


def test_the_vendored_bundles_are_the_published_ones_with_their_licences():
    notice = (STATIC_DIR / "README.md").read_text()
    sums = dict(
        reversed(line.split()) for line in notice.splitlines() if re.match(r"\s+[0-9a-f]{64}", line)
    )
    assert set(sums) == {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, digest in sums.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
    for licence in ("LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom"):
        assert "MIT License" in (STATIC_DIR / licence).read_text()
