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


def require_npm(minimum_node: tuple[int, int] = (0, 0)) -> str:
    """npm's path; skips (or fails, where Node is required) without Node and npm, or
    with a Node older than `minimum_node`."""
    npm, node = shutil.which("npm"), shutil.which("node")
    reason = "Node.js and npm are not installed"
    if node and npm:
        printed = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
        version = tuple(int(part) for part in printed.strip().lstrip("v").split(".")[:2])
        if version >= minimum_node:
            return npm
        wanted = ".".join(map(str, minimum_node))
        reason = f"Node {printed.strip()} is older than the {wanted} this needs"
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
