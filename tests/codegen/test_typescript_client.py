"""The README's GraphQL Code Generator recipe, run on schema.graphql: the generated client
type-checks the README's operations with `tsc`, and `tsc` does catch a wrong type.

The npm packages are pinned in tests/codegen/node/package-lock.json and installed into
tests/codegen/node/node_modules (ignored by git) the first time, or when the lock changes.
Skipped only where Node.js is absent; STUDYGRAPH_REQUIRE_NODE=1 (CI) fails instead.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.codegen.readme_blocks import SCHEMA, blocks, labelled
from tests.node_packages import installed_packages, require_npm

NODE_PROJECT = Path(__file__).parent / "node"
TYPED_USAGE = Path(__file__).parent / "typed_usage.ts"
TOOL_TIMEOUT_SECONDS = 300
OPERATION = re.compile(r"^(query|mutation|subscription) (\w+)", re.MULTILINE)
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "lib": ["ES2022", "DOM"],
        "skipLibCheck": True,
    },
    "include": ["src"],
}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A client project: the README's codegen.ts and operations, generated and ready."""
    modules = installed_packages(NODE_PROJECT, require_npm())
    root = tmp_path_factory.mktemp("ts-client")
    (root / "node_modules").symlink_to(modules, target_is_directory=True)
    shutil.copy(SCHEMA, root / "schema.graphql")
    (root / "codegen.ts").write_text(labelled("ts", "codegen.ts"))
    (root / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    source = root / "src"
    source.mkdir()
    operations = [block for block in blocks("graphql") if not block.startswith("# ")]
    assert len(operations) >= 4
    wrapped = "\n".join(
        f"export const operation{index} = graphql(`{block}`);"
        for index, block in enumerate(operations)
    )
    (source / "readme.ts").write_text(f'import {{ graphql }} from "./gql";\n\n{wrapped}\n')
    shutil.copy(TYPED_USAGE, source / "typed_usage.ts")
    generated = run(
        ["node", str(modules / ".bin" / "graphql-codegen"), "--config", "codegen.ts"], root
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return root


def tsc(project: Path) -> subprocess.CompletedProcess:
    return run(
        ["node", str(project / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json"], project
    )


def test_every_readme_operation_is_named_and_typed(project):
    """Codegen leaves an anonymous operation untyped, silently: the README names them all."""
    types = (project / "src" / "gql" / "graphql.ts").read_text()
    for block in blocks("graphql"):
        if block.startswith("# "):
            continue  # the Python client's operations
        assert not block.lstrip().startswith("{"), f"an anonymous operation:\n{block}"
        for kind, name in OPERATION.findall(block):
            assert f"export type {name}{kind.title()} = " in types, name


def test_the_recipe_maps_our_scalars(project):
    types = (project / "src" / "gql" / "graphql.ts").read_text()
    assert "file: File;" in types  # UploadMaterialMutationVariables
    assert "createdAt: string" in types  # DateTime
    assert "daily: Array<{ date: string" in types  # Date
    assert "unknown" not in types.split("import type")[-1].replace("as unknown as", "")


def test_the_readme_operations_type_check(project):
    checked = tsc(project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_tsc_catches_a_field_of_the_wrong_type(project):
    wrong = project / "src" / "wrong.ts"
    wrong.write_text(
        'import type { TopicsPageQuery } from "./gql/graphql";\n'
        "declare const page: TopicsPageQuery;\n"
        "export const count: string = page.topics.totalCount;\n"
        'export const mode: import("./gql/graphql").StudyMode = "SHOUTING";\n'
    )
    try:
        checked = tsc(project)
    finally:
        wrong.unlink()
    assert checked.returncode != 0
    assert checked.stdout.count("error TS2322") == 2, checked.stdout
