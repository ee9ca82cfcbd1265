"""schema.graphql is what the code exports, and stays a compatible superset of the contract."""

from pathlib import Path

from graphql import build_schema, find_breaking_changes

from api.cli import export_schema_sdl

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "tests" / "data" / "api-contract.graphql"


def test_committed_schema_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == export_schema_sdl(), (
        "schema.graphql is stale: run `uv run studygraph export-schema -o schema.graphql`"
    )


def test_schema_is_compatible_with_the_contract():
    contract = build_schema(CONTRACT.read_text())
    actual = build_schema(export_schema_sdl())
    assert [change.description for change in find_breaking_changes(contract, actual)] == []
