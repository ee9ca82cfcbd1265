"""The code blocks of the README that the codegen tests run, found by language and label."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    """Every ```language block of the README, in order."""
    return [body for lang, body in _BLOCK.findall(README.read_text()) if lang == language]


def labelled(language: str, label: str) -> str:
    """The one block whose first line names it (`// codegen.ts`, `# queries.graphql`)."""
    found = [body for body in blocks(language) if body.splitlines()[0].endswith(label)]
    assert len(found) == 1, f"the README needs exactly one ```{language} block labelled {label}"
    return found[0]
