"""`studygraph serve`: how many workers, and the runtime each worker tunes."""

import subprocess
import sys

import pytest

from api.cli import connection_budget_warning, main, serve_workers
from api.runtime import GC_THRESHOLDS
from api.settings import Settings
from db.engine import connection_limit, connections_per_process
from tests.harness import TEST_JWT_SECRET


def test_workers_default_to_one_per_core_with_a_shared_broadcast(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert serve_workers(None, "redis://127.0.0.1:6379/0") == 6
    assert serve_workers(None, "postgres://postgres@127.0.0.1/db") == 6
    assert serve_workers(3, "redis://127.0.0.1:6379/0") == 3


def test_memory_broadcast_serves_one_worker_and_refuses_more():
    assert serve_workers(None, "memory://") == 1
    assert serve_workers(1, "memory://") == 1
    with pytest.raises(ValueError, match="shared broadcast backend"):
        serve_workers(2, "memory://")
    with pytest.raises(ValueError, match="at least 1"):
        serve_workers(0, "redis://127.0.0.1:6379/0")


def test_serve_refuses_several_workers_on_memory_broadcast_before_starting(monkeypatch, capsys):
    monkeypatch.setenv("STUDYGRAPH_BROADCAST_URL", "memory://")
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--workers", "2"])
    assert exit_info.value.code == 2
    assert "shared broadcast backend" in capsys.readouterr().err


def test_a_tuned_process_freezes_start_up_objects_and_collects_rarely():
    # In a child process: the tuning is process-wide and must not touch the test runner.
    probe = (
        "import gc; from api.runtime import tune_garbage_collector; "
        "tune_garbage_collector(); print(gc.get_freeze_count(), *gc.get_threshold())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(out[0]) > 1000, "start-up objects are frozen"
    assert tuple(int(value) for value in out[1:]) == GC_THRESHOLDS


async def test_a_pool_budget_beyond_postgresqls_limit_is_reported(postgres_database, tmp_path):
    settings = Settings(
        database_url=postgres_database,
        jwt_secret=TEST_JWT_SECRET,
        jwt_secret_file=tmp_path / "unused-secret",
        database_pool_size=30,
    )
    limit = await connection_limit(postgres_database)
    per_process = connections_per_process(30)
    assert per_process == 40 and limit is not None and limit >= per_process
    fitting = limit // per_process
    assert await connection_budget_warning(settings, fitting) is None
    warning = await connection_budget_warning(settings, fitting + 1)
    assert warning is not None
    assert f"up to {(fitting + 1) * per_process} PostgreSQL connections" in warning
    assert f"the {limit} the server allows" in warning


async def test_sqlite_has_no_connection_budget(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'budget.db'}",
        jwt_secret=TEST_JWT_SECRET,
        jwt_secret_file=tmp_path / "unused-secret",
    )
    assert await connection_budget_warning(settings, 64) is None
