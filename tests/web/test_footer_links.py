"""The footer links only to pages the server serves: production serves neither
GraphiQL nor /schema.graphql, so there the app must not offer them."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.servers import Server, migrated_database, running_server
from tests.web.browser import Watch, new_context


@pytest.fixture(scope="module")
def production_server(request, sqlite_template, tmp_path_factory) -> Iterator[Server]:
    # sqlite_template first: it runs its own event loop, which Playwright's would block.
    workdir = tmp_path_factory.mktemp("webapp-production")
    with (
        migrated_database("sqlite", request, workdir) as url,
        running_server(url, workdir, STUDYGRAPH_ENV="production") as up,
    ):
        yield up


def footer_links(browser, base_url: str) -> dict[str, str]:
    """The footer's links (name: href) on the sign-in screen, once the server has said
    what it serves; each one is checked to answer."""
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    page.goto(base_url + "/")
    footer = page.get_by_role("contentinfo")
    expect(footer).to_contain_text("studygraph ")  # the version: serverInfo has answered
    footer.get_by_role("link", name="Health").wait_for()
    found = footer.evaluate(
        "el => Object.fromEntries([...el.querySelectorAll('a')]"
        ".map((a) => [a.textContent, a.getAttribute('href')]))"
    )
    for name, href in found.items():
        status = httpx.get(base_url + href, timeout=30).status_code
        assert status == 200, f"the footer's {name} link ({href}) answers {status}"
    watch.check()
    context.close()
    return found


def test_development_links_graphiql_and_the_schema(server, browser):
    links = footer_links(browser, server.base_url)
    assert links.get("GraphiQL") == "/graphql" and links.get("Schema") == "/schema.graphql"


def test_production_links_only_what_it_serves(production_server, browser):
    links = footer_links(browser, production_server.base_url)
    assert "GraphiQL" not in links and "Schema" not in links, links
    assert "Health" in links
