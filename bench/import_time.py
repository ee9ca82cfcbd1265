"""How long `import api.app` takes, against the import it replaced, in one run.

`import api.app` used to import the Agents SDK and openai with it (the tutor's turn
runner was imported by the schema); now the app's lifespan imports them (see
api/services.py `preload_turn_runner`). The baseline is that old import graph, measured
now: `import api.app` plus the turn runner. Each figure is the least of several fresh
interpreters (`python -X importtime`, the `api.app` line), interleaved so that a busy
machine slows both alike.

    uv run python bench/import_time.py [--runs 5]
"""

import argparse
import subprocess
import sys

CURRENT = "import api.app"
BASELINE = "import api.app, tutor.stream.task"


def import_seconds(statement: str, module: str) -> float:
    """Cumulative import time of `module` in a fresh interpreter running `statement`."""
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
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    current, baseline = [], []
    for _ in range(runs):
        current.append(import_seconds(CURRENT, "api.app"))
        baseline.append(import_seconds(BASELINE, "api.app,tutor.stream.task"))
    print(
        f"import api.app: {min(current):.2f} s (least of {runs}; all: "
        + ", ".join(f"{value:.2f}" for value in current)
        + ")"
    )
    print(
        f"baseline, api.app + the Agents SDK as before: {min(baseline):.2f} s (all: "
        + ", ".join(f"{value:.2f}" for value in baseline)
        + ")"
    )


if __name__ == "__main__":
    main()
