"""Time to first contentful paint of the study web app, served by `studygraph serve`.

Headless Debian Chromium loads each page in a fresh browser context (an empty cache, as
a first visit) several times; the median of `performance.getEntriesByType('paint')` is
reported beside two baselines from the same server in the same run: the static landing
page /start (HTML only, no script) and GraphiQL at /graphql (vendored React bundles).
Also prints what the app's JavaScript and CSS weigh gzipped, as served.

    uv run python bench/web_first_paint.py [--runs 9]
"""

import argparse
import asyncio
import gzip
import shutil
import statistics
import tempfile
from pathlib import Path

import httpx

from bench.harness import (
    ServerSpec,
    load_average,
    print_table,
    run_main,
    running_servers,
    studygraph_command,
    studygraph_env,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "api" / "webapp" / "dist" / "assets"
SECRET = "bench-web-first-paint-secret-0123456789abcdef"
# Each page and the element that shows it has rendered.
PAGES = (
    ("app / (sign-in screen)", "/", "form[aria-labelledby=sign-in-title]"),
    ("baseline /start (static HTML)", "/start", "h1"),
    ("baseline /graphql (GraphiQL)", "/graphql", ".graphiql-container"),
)
HAS_PAINT = """() => performance.getEntriesByName('first-contentful-paint').length > 0"""
PAINT = """() => Object.fromEntries(
  performance.getEntriesByType('paint').map(e => [e.name, e.startTime]))"""


def bundle_sizes() -> tuple[int, int]:
    files = [p for p in ASSETS.iterdir() if p.suffix in (".js", ".css")]
    raw = sum(p.stat().st_size for p in files)
    return raw, sum(len(gzip.compress(p.read_bytes(), 9)) for p in files if p.suffix == ".js")


def first_paints(base_url: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {name: [] for name, _, _ in PAGES}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            for _ in range(runs):
                for name, path, ready in PAGES:
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(base_url + path, wait_until="load")
                    page.wait_for_selector(ready)
                    # The entry is queued after the frame is presented: wait for it.
                    page.wait_for_function(HAS_PAINT, polling=50)
                    results[name].append(page.evaluate(PAINT)["first-contentful-paint"])
                    context.close()
        finally:
            browser.close()
    return results


async def ready(base_url: str, server) -> None:
    async with httpx.AsyncClient() as client:
        await wait_ready(client, server)


def run(runs: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"

        def env(port: int) -> dict[str, str]:
            # Development: GraphiQL, one of the baselines, is served only there.
            return {**studygraph_env(url, SECRET), "STUDYGRAPH_ENV": "development"}

        spec = ServerSpec("studygraph", studygraph_command, env)
        with running_servers([spec], workdir) as [server]:
            asyncio.run(ready(server.base_url, server))
            paints = first_paints(server.base_url, runs)
    raw, js_gzipped = bundle_sizes()
    print(f"load average {load_average()}; {runs} cold loads per page")
    rows = [
        [name, f"{statistics.median(v):.0f}", f"{min(v):.0f}", f"{max(v):.0f}"]
        for name, v in paints.items()
    ]
    print_table(["page", "FCP median ms", "min", "max"], rows)
    print(f"app JS+CSS {raw / 1024:.1f} KiB raw; JS {js_gzipped / 1024:.1f} KiB gzipped")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    return run_main(lambda: run(args.runs))


if __name__ == "__main__":
    raise SystemExit(main())
