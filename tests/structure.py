"""The renovation's size and self-containment rules, measured from the source.

Product code (api, schema, db, agents; migrations excepted) keeps modules at most
MAX_MODULE_LINES long and functions at most MAX_FUNCTION_LINES, so that each file has
one job a reader can hold in mind. Tests read only files inside the repository (a clone
has nothing beside it) and never import a conftest module (pytest owns those).

Run `uv run python -m tests.structure` to print every finding; tests/test_structure.py
fails on any.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("api", "schema", "db", "agents")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# A path built to reach the "shared" folder beside the repository (a relative path up
# to it, parents[n] / "shared", ROOT.parent / "shared" and the like). A "../" alone is
# often test data (a hostile upload name), so the rule looks for the sibling folder.
_OUTSIDE_REPOSITORY = re.compile(r"""\.\./shared\b|(parents\[\d+\]|\.parent)\s*/\s*["']shared\b""")
_CONFTEST_IMPORT = re.compile(r"^\s*(from|import)\s+tests(\.\w+)*\.conftest\b", re.M)


def product_modules() -> list[Path]:
    """Every product module, migrations excepted."""
    modules = []
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and ".venv" not in path.parts:
                modules.append(path)
    return modules


def size_findings() -> list[str]:
    """Modules and functions over their size limits."""
    findings = []
    for path in product_modules():
        text = path.read_text()
        name = path.relative_to(ROOT)
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            findings.append(f"module {name} has {lines} lines (> {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    findings.append(
                        f"function {name}:{node.lineno} {node.name} has {size} lines"
                        f" (> {MAX_FUNCTION_LINES})"
                    )
    return findings


def test_findings() -> list[str]:
    """Test modules that reach outside the repository or import a conftest."""
    findings = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name in ("structure.py", "test_structure.py"):
            continue  # they spell the patterns out
        text = path.read_text()
        name = path.relative_to(ROOT)
        if _OUTSIDE_REPOSITORY.search(text):
            findings.append(f"test {name} builds a path outside the repository")
        if _CONFTEST_IMPORT.search(text):
            findings.append(f"test {name} imports a conftest module")
    return findings


def main() -> int:
    findings = size_findings() + test_findings()
    for line in findings:
        print(line)
    modules = product_modules()
    print(
        f"{len(modules)} product modules, largest "
        f"{max(p.read_text().count(chr(10)) for p in modules)} lines; "
        f"{len(findings)} findings (modules <= {MAX_MODULE_LINES} lines, "
        f"functions <= {MAX_FUNCTION_LINES}, tests self-contained)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
