"""How long `import api.app` takes, against the import it replaced, in one run.

`import api.app` used to import the Agents SDK and openai with it (the tutor's turn
runner was imported by the schema); now the app's lifespan imports them (see
api/services.py `preload_turn_runner`). The baseline is that old import graph, measured
now: `import api.app` plus the turn runner. Each figure is the least of several fresh
interpreters (`python -X importtime`, the `api.app` line), interleaved so that a busy
machine slows both alike. On a machine shared with other work the wall-clock figure
swells with the load; the CPU seconds the whole interpreter spent (user + system, start
to exit) move much less, so both are printed.

    uv run python bench/import_time.py [--runs 5]
"""

import argparse
import resource
import subprocess
import sys

CURRENT = "import api.app"
BASELINE = "import api.app, tutor.stream.task"


def import_seconds(statement: str, module: str) -> tuple[float, float]:
    """(wall, cpu): the cumulative import time of `module` (the modules in it, comma
    separated) in a fresh interpreter running `statement`, and that interpreter's CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0.0
    for line in result.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] in module.split(","):
            total += int(parts[1]) / 1e6
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return total, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    current, baseline = [], []
    for _ in range(runs):
        current.append(import_seconds(CURRENT, "api.app"))
        baseline.append(import_seconds(BASELINE, "api.app,tutor.stream.task"))
    for label, figures in (
        ("import api.app", current),
        ("baseline, api.app + the Agents SDK as before", baseline),
    ):
        walls = ", ".join(f"{wall:.2f}" for wall, _ in figures)
        print(
            f"{label}: {min(wall for wall, _ in figures):.2f} s wall (least of {runs}: "
            f"{walls}); {min(cpu for _, cpu in figures):.2f} s CPU"
        )


if __name__ == "__main__":
    main()
