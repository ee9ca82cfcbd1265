"""Answer quality of the default offline tutor in EXPLAIN mode, on SQLite.

Uploads the tutorial chapters (tests/data) through the real material pipeline, asks
the labelled questions phrased as students ask them (tests/data/tutor/paraphrased.json)
and the questions the chapters do not cover (tests/data/tutor/outside.json), and
prints, for each: the share of answers that state the fact, cite the right material
verbatim and store only what they cite, and why the others failed (counts per class,
tests/tutor/evaluation.py FAILURE_CLASSES); the share of plain "not in your material"
answers. The baseline printed beside it is the same questions phrased with the book's
own words (the needle itself as the question), measured in the same run.

Run: `uv run python bench/tutor_answers.py [--verbose] [--no-cache]`. Sentence vectors are
cached in bench/.cache (ignored by git) between runs, which takes a run from minutes to
about one; --no-cache embeds everything afresh.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "agents"))

from bench.embedding_cache import cached_embeddings  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.pubsub import Bus  # noqa: E402
from schema.build import build_schema  # noqa: E402
from tests import databases  # noqa: E402
from tests.harness import SchemaHarness  # noqa: E402
from tests.tutor import evaluation  # noqa: E402

TARGET_ANSWERS = 0.8
TARGET_OUTSIDE = 0.9
CACHE = ROOT / "bench" / ".cache"


async def measure(harness, verbose: bool) -> dict:
    library = await evaluation.library_of_chapters(harness)
    result = {}
    for split in ("tune", "holdout", "extra"):
        result[split] = await _answers(harness, library, evaluation.paraphrased(split), verbose)
    outside_ok = []
    for question in evaluation.outside():
        text, stored = await evaluation.ask(harness, library, question)
        outside_ok.append(evaluation.judge_outside(text, stored))
        if verbose and not outside_ok[-1]:
            print(f"--- OUTSIDE {question}\n{text}\n", file=sys.stderr)
    result["outside"] = {
        "questions": len(outside_ok),
        "said_plainly": round(sum(outside_ok) / len(outside_ok), 3),
    }
    everything = evaluation.paraphrased()
    baseline = []
    for item in everything:
        # The same facts asked in the book's own words: the answering passage's text.
        text, stored = await evaluation.ask(harness, library, item["needle"].replace("`", ""))
        baseline.append(evaluation.judge_answer(library, item, text, stored)["ok"])
    result["baseline_book_wording_answers_ok"] = round(sum(baseline) / len(baseline), 3)
    return result


async def _answers(harness, library, items: list[dict], verbose: bool) -> dict:
    judged, failures = [], []
    for item in items:
        text, stored = await evaluation.ask(harness, library, item["question"])
        verdict = evaluation.judge_answer(library, item, text, stored)
        judged.append(verdict)
        if not verdict["ok"]:
            why = evaluation.failure_class(library, item, text, verdict)
            failures.append({"question": item["question"], "why": why, **verdict})
            if verbose:
                expected = f"(expected: {item['needle']}; {failures[-1]['why']}; {verdict})"
                print(f"--- {item['question']}\n{expected}\n{text}\n", file=sys.stderr)
    count = len(judged)
    return {
        "questions": count,
        "answers_ok": round(sum(v["ok"] for v in judged) / count, 3),
        "states_the_fact": round(sum(v["states"] for v in judged) / count, 3),
        "cites_the_right_material": round(sum(v["cites"] for v in judged) / count, 3),
        "stores_only_what_it_cites": round(sum(v["only_cited"] for v in judged) / count, 3),
        # Retrieval's part: the answering passage was among those search showed.
        "answering_passage_shown": round(sum(v["shown"] for v in judged) / count, 3),
        "answers_ok_when_shown": round(
            sum(v["ok"] for v in judged if v["shown"]) / max(1, sum(v["shown"] for v in judged)),
            3,
        ),
        "failure_classes": {
            why: count
            for why in evaluation.FAILURE_CLASSES
            if (count := sum(f["why"] == why for f in failures))
        },
        "failures": [f"{f['question']} ({f['why']})" for f in failures],
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print each failed answer")
    parser.add_argument("--no-cache", action="store_true", help="embed without the cache")
    args = parser.parse_args()
    cache = contextlib.nullcontext() if args.no_cache else cached_embeddings(CACHE)
    with cache:
        result = await _run(args.verbose)
    print(json.dumps(result, indent=2))
    ok = (
        result["holdout"]["answers_ok"] >= TARGET_ANSWERS
        and result["outside"]["said_plainly"] >= TARGET_OUTSIDE
    )
    return 0 if ok else 1


async def _run(verbose: bool) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        template = await databases.create_sqlite_template(Path(directory))
        engine = create_engine(f"sqlite+aiosqlite:///{template}")
        bus = Bus("memory://")
        await bus.connect()
        try:
            harness = SchemaHarness(create_session_factory(engine), bus, build_schema())
            return await measure(harness, verbose)
        finally:
            await bus.disconnect()
            await engine.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
