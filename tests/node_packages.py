"""npm packages for the tests that drive Node clients, pinned by their lock files.

A test that needs Node installs its folder's `package-lock.json` with `npm ci` into a
`node_modules` that git ignores, again only when the lock file changes, so a fresh clone
runs them with nothing installed by hand. Without Node they skip, unless
STUDYGRAPH_REQUIRE_NODE=1 (CI) makes that a failure.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_TIMEOUT_SECONDS = 600
_MARKER = ".studygraph-lock-sha256"


def require_npm() -> str:
    """npm's path; skips (or fails, where Node is required) without Node and npm."""
    npm = shutil.which("npm")
    if shutil.which("node") and npm:
        return npm
    reason = "Node.js and npm are not installed"
    if os.environ.get("STUDYGRAPH_REQUIRE_NODE") == "1":
        pytest.fail(f"STUDYGRAPH_REQUIRE_NODE=1 but {reason}")
    pytest.skip(reason)


def installed_packages(project: Path, npm: str) -> Path:
    """`project`'s node_modules as its lock file pins them."""
    digest = hashlib.sha256((project / "package-lock.json").read_bytes()).hexdigest()
    marker = project / "node_modules" / _MARKER
    if not marker.exists() or marker.read_text() != digest:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=project,
            check=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
        )
        marker.write_text(digest)
    return project / "node_modules"
