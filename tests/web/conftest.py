"""Fixtures of the web app's browser tests: one real server on SQLite, one Chromium."""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium import launched_chromium
from tests.e2e.servers import (
    REGISTER,
    STUDYGRAPH,
    Server,
    free_port,
    migrated_database,
    running_server,
    server_env,
)
from tests.factories import PASSWORD
from tests.web.browser import graphql


@pytest.fixture(scope="package")
def server_database(request, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The web tests' SQLite database (its URL) and the folder the server runs in."""
    workdir = tmp_path_factory.mktemp("webapp")
    with migrated_database("sqlite", request, workdir) as url:
        yield url, workdir


@pytest.fixture(scope="package")
def server(server_database) -> Iterator[Server]:
    url, workdir = server_database
    dead_port = free_port()  # nothing listens there: a provider that always fails
    with (
        running_server(
            url,
            workdir,
            # Slow enough to stop an answer or reload the page while it streams.
            STUDYGRAPH_OFFLINE_TUTOR_WORD_DELAY_SECONDS="0.08",
            # Sign-in attempts slow down after two failures for an email.
            STUDYGRAPH_LOGIN_ATTEMPTS_PER_CLIENT="2",
            STUDYGRAPH_LOGIN_BACKOFF_SECONDS="30",
            # Every test registers a learner of its own, all from 127.0.0.1.
            STUDYGRAPH_REGISTRATIONS_PER_ADDRESS="500",
            STUDYGRAPH_DEAD_BASE_URL=f"http://127.0.0.1:{dead_port}/v1",
            STUDYGRAPH_DEAD_API_KEY="unused",
        ) as up,
    ):
        yield up


@pytest.fixture(scope="package")
def browser():
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def account(server) -> dict:
    """Each test's own learner (email and access token), registered over HTTP."""
    email = f"web-{uuid.uuid4().hex[:12]}@example.com"
    variables = {"input": {"email": email, "password": PASSWORD, "displayName": "Web"}}
    payload = graphql(server.base_url, REGISTER, variables)["register"]
    return {"email": email, "token": payload["accessToken"]}


DEMO_TIMEOUT_SECONDS = 300


@pytest.fixture(scope="package")
def demo_learner(server, server_database) -> dict:
    """`studygraph demo`'s learner, in the server's database: screens with real data."""
    url, workdir = server_database
    subprocess.run(
        [str(STUDYGRAPH), "demo"],
        cwd=workdir,
        env=server_env(url, {}),
        check=True,
        capture_output=True,
        timeout=DEMO_TIMEOUT_SECONDS,
    )
    return {"email": "demo@studygraph.dev", "password": "studygraph-demo"}
