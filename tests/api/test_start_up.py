"""A fast, robust start: what `import api.app` loads, and how a worker's end is told.

Import *time* is a figure (bench/import_time.py); what is imported is a fact tested here:
the Agents SDK and openai (seconds of CPU) load in the app's lifespan, while a worker
already answers uvicorn's health checks, never with the app module.
"""

import json
import signal
import subprocess
import sys

import pytest

from api.workers import WORKER_HEALTHCHECK_SECONDS, death_reason

HEAVY = (
    "agents",
    "openai",
    "tutor.stream.task",
    "tutor.offline.model",
    "redis",
    # Each a tenth of a second or more, needed only after start-up or by some deployments.
    "jwt",
    "cryptography",
    "asyncpg",
    "markdown_it",
    "uvicorn",
    "click",
)


def modules_after(statement: str) -> set[str]:
    probe = f"import sys; {statement}; import json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_app_leaves_the_agents_sdk_and_openai_out():
    loaded = modules_after("import api.app")
    assert "api.app" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_cli_module_a_worker_imports_first_loads_neither_app_nor_schema():
    # Each uvicorn worker re-imports the console script's module before it can answer a
    # health check: it must stay small.
    loaded = modules_after("import api.cli")
    assert not loaded & {"api.app", "schema.build", "strawberry", "agents", "openai"}


def test_the_lifespan_preloads_the_turn_runner(tmp_path):
    statement = (
        "import asyncio; from api.app import create_app; from api.settings import Settings; "
        f"s = Settings(database_url='sqlite+aiosqlite:///{tmp_path}/t.db', "
        f"jwt_secret='x' * 40, jwt_secret_file='{tmp_path}/secret'); app = create_app(s)\n"
        "async def run():\n"
        "    from db.migrate import upgrade_database\n"
        "    await upgrade_database(s.database_url)\n"
        "    async with app.router.lifespan_context(app): pass\n"
        "asyncio.run(run())"
    )
    loaded = modules_after(f"exec({statement!r})")
    assert {"agents", "openai", "tutor.stream.task"} <= loaded


@pytest.mark.parametrize(
    ("exitcode", "words"),
    [
        (None, f"did not answer the health check within {WORKER_HEALTHCHECK_SECONDS} s"),
        (-signal.SIGKILL, "was killed by SIGKILL (the out-of-memory killer?)"),
        (-signal.SIGSEGV, "was killed by SIGSEGV"),
        (3, "failed to start (exit code 3"),
        (1, "exited with code 1"),
    ],
)
def test_a_workers_death_is_told_with_its_reason(exitcode, words):
    assert words in death_reason(exitcode, timeout=WORKER_HEALTHCHECK_SECONDS)


def test_the_collector_runs_again_once_the_app_is_imported():
    out = subprocess.run(
        [sys.executable, "-c", "import gc, api.app; print(gc.isenabled(), gc.get_freeze_count())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    enabled, frozen = out.split()
    assert enabled == "True"
    # What the imports created is frozen, not left for the next collection to walk.
    assert int(frozen) > 100_000


def test_a_paused_collector_is_restored_even_when_the_block_fails():
    import gc

    from api.runtime import collector_paused

    assert gc.isenabled()
    with pytest.raises(ImportError), collector_paused():
        assert not gc.isenabled()
        raise ImportError("a failing import inside the block")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
