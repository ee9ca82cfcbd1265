"""The web app's build that ships in the package is exactly what its sources produce.

`npm ci` installs web/package-lock.json (into web/node_modules, git-ignored, again only
when the lock changes), then the app is built from a copy of the committed sources in
a temporary folder, codegen included; the output must match api/webapp/dist byte for
byte (the gzip twins are checked to hold their files: zlib builds may pack differently).
Needs Node; STUDYGRAPH_REQUIRE_NODE=1 (CI) fails instead of skipping without it.
"""

import gzip
import shutil
import subprocess
from pathlib import Path

from tests.node_packages import installed_packages, require_npm

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SHIPPED = ROOT / "api" / "webapp" / "dist"
BUILD_TIMEOUT_SECONDS = 300
# Vite 8's floor (its package.json `engines`).
MINIMUM_NODE = (20, 19)
GZIP = ".gz"


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def built_from_source(root: Path, npm: str) -> subprocess.CompletedProcess:
    modules = installed_packages(WEB, npm)
    shutil.copytree(WEB, root / "web", ignore=shutil.ignore_patterns("node_modules"))
    shutil.rmtree(root / "web" / "src" / "gql")  # codegen must write it again
    shutil.copy(ROOT / "schema.graphql", root / "schema.graphql")
    (root / "web" / "node_modules").symlink_to(modules, target_is_directory=True)
    return subprocess.run(
        [npm, "run", "build"],
        cwd=root / "web",
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )


def test_the_shipped_build_is_what_the_sources_build(tmp_path):
    built = built_from_source(tmp_path, require_npm(MINIMUM_NODE))
    assert built.returncode == 0, built.stdout + built.stderr

    fresh = files(tmp_path / "api" / "webapp" / "dist")
    shipped = files(SHIPPED)
    assert sorted(fresh) == sorted(shipped), "run `npm run build` in web/ and commit the result"
    for name, content in fresh.items():
        if name.endswith(GZIP):
            assert gzip.decompress(shipped[name]) == shipped[name.removesuffix(GZIP)], name
        else:
            assert shipped[name] == content, f"{name} differs: run `npm run build` in web/"

    generated = files(tmp_path / "web" / "src" / "gql")
    assert generated == files(WEB / "src" / "gql"), "run `npm run codegen` in web/"


def test_the_javascript_stays_under_250_kb_gzipped():
    sizes = [len(gzip.compress(p.read_bytes(), 9)) for p in (SHIPPED / "assets").glob("*.js")]
    assert sizes and sum(sizes) < 250 * 1024, sizes
