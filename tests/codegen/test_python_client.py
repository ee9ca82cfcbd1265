"""The README's ariadne-codegen recipe, run on schema.graphql: the generated client signs
in and reads topics from a live `studygraph serve`, running the README's own snippet.

ariadne-codegen needs graphql-core 3.2 while the app pins 3.3, so it runs in an
isolated environment of its own, pinned with hashes in tests/codegen/python/
requirements.txt; the generated package needs only httpx and pydantic, which the
project has.
"""

import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.codegen.readme_blocks import SCHEMA, blocks, labelled
from tests.e2e.servers import Server, create_topic, execute, migrated_database, running_server

REQUIREMENTS = Path(__file__).parent / "python" / "requirements.txt"
GENERATE_TIMEOUT_SECONDS = 600
README_URL = "http://127.0.0.1:8000/graphql"
README_EMAIL = "ada@example.com"
README_PASSWORD = "correct horse"
REGISTER = """
mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"""


def uv() -> str:
    """uv itself: `uv run pytest` names it in $UV; otherwise it is on the PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is needed to run ariadne-codegen in its own environment"
    return found


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory) -> Iterator[str]:
    """The README's codegen.toml and queries.graphql, generated into a package."""
    root = tmp_path_factory.mktemp("py-client")
    shutil.copy(SCHEMA, root / "schema.graphql")
    (root / "codegen.toml").write_text(labelled("toml", "codegen.toml"))
    (root / "queries.graphql").write_text(labelled("graphql", "queries.graphql"))
    command = [
        uv(), "run", "--no-project", "--isolated", "--with-requirements", str(REQUIREMENTS),
        "ariadne-codegen", "--config", "codegen.toml",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=GENERATE_TIMEOUT_SECONDS
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield "studygraph_client"
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith("studygraph_client")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server(request, tmp_path_factory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("py-client-server")
    with (
        migrated_database("sqlite", request, workdir) as url,
        running_server(url, workdir) as running,
    ):
        yield running


def readme_snippet() -> str:
    """The README's Python example (the block that imports the generated client)."""
    found = [block for block in blocks("python") if "studygraph_client" in block]
    assert len(found) == 1
    return found[0]


async def test_the_generated_client_signs_in_and_reads_topics(generated_client, server):
    email = f"codegen-{uuid.uuid4().hex[:10]}@example.com"
    account = {"email": email, "password": README_PASSWORD}
    token = (await execute(server, REGISTER, {"input": account}))["register"]["accessToken"]
    titles = {"Loops", "Classes"}
    for title in titles:
        await create_topic(server, token, title)

    snippet = readme_snippet().replace(README_URL, server.graphql_url)
    snippet = snippet.replace(README_EMAIL, email)
    printed = []
    scope = {"print": lambda *values: printed.append(values)}
    exec(f"async def readme():\n{textwrap.indent(snippet, '    ')}", scope)
    await asyncio.wait_for(scope["readme"](), 30)

    total, created = printed[0]
    assert total == 2
    assert len(created) == 2 and all(isinstance(when, datetime) for when in created)


async def test_the_generated_client_raises_our_error_codes(generated_client, server):
    client_module = importlib.import_module(generated_client)
    async with client_module.Client(url=server.graphql_url) as client:
        with pytest.raises(client_module.GraphQLClientGraphQLMultiError) as raised:
            await client.my_topics(first=10)
    assert raised.value.errors[0].extensions["code"] == "UNAUTHENTICATED"
