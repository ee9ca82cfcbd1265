"""The size and self-containment rules hold for the whole tree (see tests/structure.py)."""

from tests import structure


def test_product_modules_and_functions_stay_small():
    assert structure.size_findings() == []


def test_tests_read_only_the_repository_and_import_no_conftest():
    assert structure.test_findings() == []


def test_the_rules_catch_what_they_are_for(tmp_path, monkeypatch):
    # The checks must be able to fail: a long module, a long function, a conftest import
    # and a path out of the repository are each reported.
    package = tmp_path / "db"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(70))
    (package / "big.py").write_text("def long():\n" + body + "\n" + "\n" * 400)
    tests_dir = tmp_path / "tests"
    tests_dir.mkdir()
    (tests_dir / "test_x.py").write_text(
        "from tests.conftest import helper\nDATA = ROOT.parent / 'shared'\n"
    )
    monkeypatch.setattr(structure, "ROOT", tmp_path)
    sizes = structure.size_findings()
    assert any(line.startswith("module db/big.py") for line in sizes)
    assert any("function db/big.py:1 long" in line for line in sizes)
    tests = structure.test_findings()
    assert "test tests/test_x.py builds a path outside the repository" in tests
    assert "test tests/test_x.py imports a conftest module" in tests
