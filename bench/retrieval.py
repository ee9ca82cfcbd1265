"""Retrieval quality of searchMaterials, and upload-to-READY time of the 10-page PDF.

Uploads the fixture chapters (tests/data) through the real HTTP multipart path of one
app, asks a labelled set of questions through `searchMaterials(first: 5)`, and
reports recall@5 (the answering passage is among the five hits) and MRR (mean of
1/rank of the first answering hit, 0 when absent), on SQLite and on PostgreSQL.

A passage "answers" when it comes from the labelled file and contains the labelled
substring. Run: `uv run python bench/retrieval.py [--database sqlite|postgresql|both]`.
"""

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from tests import databases  # noqa: E402
from tests.materials.helpers import DATA, Learner  # noqa: E402

TARGET_RECALL = 0.8
FILES = [
    "tutorial-controlflow.md",
    "tutorial-datastructures.md",
    "tutorial-errors.md",
    "tutorial-classes.md",
]
PDF = "tutorial-modules.pdf"

# question -> (file, a substring the answering passage contains)
LABELLED = [
    ("What does the break statement do in a loop?", "tutorial-controlflow.md", "`break`"),
    ("When does the else clause of a for loop run?", "tutorial-controlflow.md",
     "Loop statements may have an `else` clause"),
    ("What does the continue statement do?", "tutorial-controlflow.md",
     "The `continue` statement"),
    ("What is the pass statement for?", "tutorial-controlflow.md",
     "The `pass` statement does nothing"),
    ("How does pattern matching with match and case work?", "tutorial-controlflow.md",
     "A `match` statement takes an expression"),
    ("How do I iterate over a sequence of numbers with range?", "tutorial-controlflow.md",
     "range()"),
    ("How do default argument values work?", "tutorial-controlflow.md",
     "default value for one or more arguments"),
    ("Why is the default value evaluated only once for mutable defaults?",
     "tutorial-controlflow.md", "evaluated only once"),
    ("How do I call a function with keyword arguments?", "tutorial-controlflow.md",
     "keyword arguments"),
    ("How do I write small anonymous functions with lambda?", "tutorial-controlflow.md",
     "lambda"),
    ("What are the conventions for documentation strings?", "tutorial-controlflow.md",
     "documentation strings"),
    ("What coding style does PEP 8 recommend?", "tutorial-controlflow.md", "PEP 8"),
    ("What methods do list objects have, such as append and insert?",
     "tutorial-datastructures.md", "The list data type has some more methods"),
    ("How can I use a list as a stack?", "tutorial-datastructures.md", "last-in, first-out"),
    ("How do I implement a queue efficiently with deque?", "tutorial-datastructures.md",
     "collections.deque"),
    ("What is a list comprehension?", "tutorial-datastructures.md",
     "List comprehensions provide a concise way"),
    ("How do I remove an item from a list by index with del?", "tutorial-datastructures.md",
     "the `del` statement"),
    ("What is a tuple?", "tutorial-datastructures.md", "A tuple consists of a number of values"),
    ("What is a set and what operations does it support?", "tutorial-datastructures.md",
     "A set is an unordered collection"),
    ("How do dictionaries store keys and values?", "tutorial-datastructures.md",
     "dictionary as a set of"),
    ("How do I loop over two sequences at the same time with zip?",
     "tutorial-datastructures.md", "paired with the `zip()` function"),
    ("How are sequences compared with each other?", "tutorial-datastructures.md",
     "Sequence objects typically may be compared"),
    ("What is a syntax error?", "tutorial-errors.md",
     "Syntax errors, also known as parsing errors"),
    ("How does the try statement work?", "tutorial-errors.md",
     "The `try` statement works as follows"),
    ("How do I raise an exception myself?", "tutorial-errors.md",
     "The `raise` statement allows the programmer to force"),
    ("What is exception chaining with from?", "tutorial-errors.md",
     "direct consequence of another"),
    ("How do I define my own exception classes?", "tutorial-errors.md",
     "Programs may name their own exceptions"),
    ("What does the finally clause do for clean-up actions?", "tutorial-errors.md",
     "If a `finally` clause is present"),
    ("How does the with statement make sure files are closed?", "tutorial-errors.md",
     "leaves the file open"),
    ("How can I raise several unrelated exceptions with an ExceptionGroup?",
     "tutorial-errors.md", "ExceptionGroup"),
    ("How do I add notes to an exception?", "tutorial-errors.md", "add_note"),
    ("What is a namespace?", "tutorial-classes.md", "is a mapping from names to objects"),
    ("What do the global and nonlocal statements do to scopes?", "tutorial-classes.md",
     "nonlocal"),
    ("What operations do class objects support?", "tutorial-classes.md",
     "Class objects support two kinds of operations"),
    ("What is the difference between class variables and instance variables?",
     "tutorial-classes.md", "class variable"),
    ("How does multiple inheritance resolve attributes?", "tutorial-classes.md",
     "Multiple Inheritance"),
    ("What is name mangling for private variables?", "tutorial-classes.md", "name mangling"),
    ("How do generators work with yield?", "tutorial-classes.md",
     "Generators are a simple and powerful tool"),
    ("How does the module search path sys.path get initialized?", PDF,
     "The Module Search Path"),
    ("What does the dir function list?", PDF, "dir()"),
    ("Why do packages need __init__.py files?", PDF, "__init__.py"),
    ("How are compiled Python files cached in __pycache__?", PDF, "__pycache__"),
]  # fmt: skip


def _answers(hit: dict, filename: str, needle: str) -> bool:
    citation = hit["citation"]
    return citation["material"]["filename"] == filename and needle in citation["quote"]


async def run(database_url: str) -> dict:
    settings = Settings(
        database_url=database_url,
        broadcast_url="memory://",
        jwt_secret="bench-secret-that-is-long-enough-for-hs256-0123456789",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            learner = await Learner.create(http)
            for name in FILES:
                await learner.upload_ready(name)
            started = time.perf_counter()
            await learner.upload_ready(PDF)
            pdf_seconds = time.perf_counter() - started
            found, reciprocal, misses = 0, 0.0, []
            for question, filename, needle in LABELLED:
                hits = await learner.search(question, first=5)
                rank = next(
                    (i for i, hit in enumerate(hits, 1) if _answers(hit, filename, needle)), None
                )
                if rank is None:
                    misses.append(question)
                else:
                    found += 1
                    reciprocal += 1 / rank
    total = len(LABELLED)
    return {
        "questions": total,
        "recall_at_5": round(found / total, 3),
        "mrr": round(reciprocal / total, 3),
        "pdf_upload_to_ready_seconds": round(pdf_seconds, 3),
        "misses": misses,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for needle_file in {f for _, f, _ in LABELLED if f.endswith(".md")}:
        assert (DATA / needle_file).exists(), needle_file
    results = {}
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            template = await databases.create_sqlite_template(Path(directory))
            results["sqlite"] = await run(f"sqlite+aiosqlite:///{template}")
    if args.database in ("postgresql", "both"):
        url = await databases.create_postgres_database()
        try:
            results["postgresql"] = await run(url)
        finally:
            await databases.drop_postgres_database(url)
    print(json.dumps(results, indent=2))
    ok = all(result["recall_at_5"] >= TARGET_RECALL for result in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
