"""The reload-and-second-tab test again on PostgreSQL with its LISTEN/NOTIFY broadcast:
the events a resumed tab and a second tab receive travel through the database."""

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import databases
from tests.e2e.servers import Server, running_server
from tests.web import test_stream_resume


def run_apart(coroutine):
    """asyncio.run on a thread of its own: Playwright's sync API keeps a loop running
    on this one once the browser has started."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    reason = run_apart(databases.postgres_unreachable_reason())
    if reason:
        if databases.postgres_required():
            pytest.fail(f"STUDYGRAPH_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("webapp-postgres")
    url = run_apart(databases.create_postgres_database())
    try:
        with running_server(
            url,
            workdir,
            STUDYGRAPH_BROADCAST_URL="postgres://" + url.split("://", 1)[1],
            STUDYGRAPH_OFFLINE_TUTOR_WORD_DELAY_SECONDS="0.08",
        ) as up:
            yield up
    finally:
        run_apart(databases.drop_postgres_database(url))


def test_a_reloaded_tab_resumes_and_a_second_tab_follows_on_postgres(server, browser, account):
    test_stream_resume.test_a_reloaded_tab_resumes_and_a_second_tab_follows(
        server, browser, account
    )
