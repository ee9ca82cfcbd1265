"""`studygraph serve`: how many workers, and the runtime each worker tunes."""

import subprocess
import sys

import pytest

from api.cli import main, serve_workers
from api.runtime import GC_THRESHOLDS


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
