"""Metrics shared by workers: a dead worker's live gauges leave the totals, its counts
stay; and each `serve` starts with a directory of its own, tidy of earlier runs."""

import os
import subprocess
import sys
from pathlib import Path

from api import metrics_directory
from api.metrics_route import collect_all
from tests.metrics_text import value

WORKER = """
from api import metrics
metrics.OPEN_WEBSOCKETS.inc(3)
metrics.GRAPHQL_ERRORS.labels("NOT_FOUND").inc(2)
"""


def run_worker(directory: Path) -> None:
    """A process that records values in the shared directory, then exits (dies)."""
    env = {**os.environ, metrics_directory.VARIABLE: str(directory)}
    subprocess.run([sys.executable, "-c", WORKER], env=env, check=True, timeout=120)


def test_a_dead_workers_open_sockets_leave_the_totals_but_its_counts_stay(tmp_path, monkeypatch):
    run_worker(tmp_path)
    assert list(tmp_path.glob("gauge_livesum_*.db"))
    monkeypatch.setenv(metrics_directory.VARIABLE, str(tmp_path))

    text = collect_all().decode()

    assert value(text, "studygraph_open_websockets") == 0
    assert value(text, "studygraph_graphql_errors_total", code="NOT_FOUND") == 2
    assert not list(tmp_path.glob("gauge_livesum_*.db"))


def test_a_live_workers_gauges_count(tmp_path, monkeypatch):
    env = {**os.environ, metrics_directory.VARIABLE: str(tmp_path)}
    script = WORKER + "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); input()\n"
    worker = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert worker.stdout.readline() == b"ready\n"
        monkeypatch.setenv(metrics_directory.VARIABLE, str(tmp_path))
        assert value(collect_all().decode(), "studygraph_open_websockets") == 3
    finally:
        worker.communicate(b"\n", timeout=60)


def test_an_operator_directory_is_emptied_and_kept(tmp_path, monkeypatch):
    chosen = tmp_path / "metrics"
    chosen.mkdir()
    (chosen / "counter_123.db").write_bytes(b"stale")
    (chosen / "README").write_text("the operator's own file")
    monkeypatch.setenv(metrics_directory.VARIABLE, str(chosen))

    directory, made_here = metrics_directory.prepare_metrics_directory()

    assert (directory, made_here) == (chosen, False)
    assert sorted(path.name for path in chosen.iterdir()) == ["README"]


def test_a_private_directory_is_made_and_orphans_of_dead_runs_removed(tmp_path, monkeypatch):
    monkeypatch.delenv(metrics_directory.VARIABLE, raising=False)
    monkeypatch.setattr(metrics_directory.tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    orphan = tmp_path / f"studygraph-metrics-{dead}-abc"
    alive = tmp_path / f"studygraph-metrics-{os.getpid()}-def"
    orphan.mkdir()
    alive.mkdir()

    directory, made_here = metrics_directory.prepare_metrics_directory()
    try:
        assert made_here and directory.parent == tmp_path
        assert os.environ[metrics_directory.VARIABLE] == str(directory)
        assert not orphan.exists() and alive.exists()
    finally:
        metrics_directory.remove_metrics_directory(directory, made_here=made_here)
        # Set by the function itself, not through monkeypatch: removed here.
        os.environ.pop(metrics_directory.VARIABLE, None)
    assert not directory.exists()
