"""GraphiQL in a real headless Chromium (Debian's), offline: nothing leaves 127.0.0.1.

Every request the page makes is recorded, and any to another host is aborted (as it
would fail on an air-gapped machine) and fails the test. The page must render the
editor, load the schema, sign in with the sign-in bar, run a query that needs the
token, and renew the token.
"""

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.chromium import launched_chromium
from tests.e2e.servers import Server, migrated_database, register, running_server
from tests.factories import PASSWORD

HOST = "127.0.0.1"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(request, tmp_path_factory) -> Iterator[Server]:
    # The page's own requests touch the database only to sign in: SQLite is enough.
    workdir = tmp_path_factory.mktemp("graphiql")
    with migrated_database("sqlite", request, workdir) as url, running_server(url, workdir) as up:
        yield up


@pytest.fixture(scope="module")
def account(server) -> dict:
    # Before the browser starts: Playwright's sync API keeps an event loop running.
    return asyncio.run(register(server))


@pytest.fixture(scope="module")
def browser(account):
    with launched_chromium() as launched:
        yield launched


def test_graphiql_works_offline_and_signs_in(server, account, browser):
    email = account["user"]["email"]
    page = browser.new_page()
    requested, foreign, problems = [], [], []

    def route(intercepted):
        url = intercepted.request.url
        requested.append(url)
        if urlsplit(url).hostname != HOST and not url.startswith("data:"):
            foreign.append(url)
            intercepted.abort()
        else:
            intercepted.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(server.graphql_url)
    page.wait_for_selector(".graphiql-container .graphiql-editors")
    # The schema is loaded once the doc explorer button works and the query type shows.
    page.click("button[aria-label='Show Documentation Explorer']")
    page.wait_for_selector("text=Query")

    page.fill("#sign-in input[name=email]", email)
    page.fill("#sign-in input[name=password]", PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector(f"text=Signed in as {email}")

    page.click(".graphiql-execute-button")  # the default Dashboard query reads `me`
    page.wait_for_selector(f".result-window >> text={email}")

    expires = page.evaluate("window.studygraphSignIn.expiresAt()")
    page.wait_for_timeout(1100)  # a renewed token expires at least a second later
    page.evaluate("window.studygraphSignIn.refreshNow()")
    page.wait_for_function(f"window.studygraphSignIn.expiresAt() > {expires}")
    assert page.evaluate("window.studygraphSignIn.signedInAs()") == email

    assert not foreign, f"requests left {HOST}: {foreign}"
    assert any(url.endswith("/graphiql/graphiql.min.js") for url in requested)
    assert not problems, problems
    page.close()
