"""Driving the study web app in Debian's Chromium: launch, watch, screenshot, call the API.

Every page is watched: a console error or an uncaught exception fails the test, and a
request to any host but the server's is aborted and fails it too (the app must work
offline). Screenshots go to tests/web/screenshots/ (git ignores it).
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HOST = "127.0.0.1"
TIMEOUT_MS = 60_000
SCREENSHOTS = Path(__file__).parent / "screenshots"
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Watch:
    """What went wrong on the pages of one browser context."""

    problems: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.problems.append(str(error)))

    def route(self, intercepted) -> None:
        url = intercepted.request.url
        if urlsplit(url).hostname != HOST and not url.startswith("data:"):
            self.foreign.append(url)
            intercepted.abort()
        else:
            intercepted.continue_()

    def check(self) -> None:
        assert not self.foreign, f"requests left {HOST}: {self.foreign}"
        assert not self.problems, f"console errors: {self.problems}"


def new_context(browser, watch: Watch, **options):
    """A browser context whose every page the watch follows."""
    context = browser.new_context(**options)
    context.route("**/*", watch.route)
    context.on("page", watch.attach)
    return context


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def stored_tokens(page) -> dict | None:
    return page.evaluate("JSON.parse(localStorage.getItem('studygraph.auth'))")


def graphql(base_url: str, query: str, variables: dict | None = None, token: str | None = None):
    """One operation over HTTP, from the test (not the page); its data, errors raise."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    ).json()
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def normalised(text: str) -> str:
    """An answer's words as both its Markdown and the page's rendering of it read: no
    fence lines, quote or list marks, backticks or stars, runs of whitespace as one space."""
    text = re.sub(r"^\s*```.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*[-*] ", "", text, flags=re.MULTILINE)
    return " ".join(re.sub(r"[>`*▍]", "", text).split())


def answer_text(article) -> str:
    return normalised(article.locator(".text").inner_text())


def wait_longer(article, characters: int, timeout: float = TIMEOUT_MS / 1000) -> str:
    """The answer's text once it is longer than `characters` (it is streaming in)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = answer_text(article)
        if len(text) > characters:
            return text
        article.page.wait_for_timeout(50)
    raise AssertionError(
        f"the answer stayed at {characters} characters or fewer: {article.inner_html()[:2000]}"
    )


def labels_contain_visible_text(page) -> None:
    """Label in name (WCAG 2.5.3): a control whose accessible name is an aria-label says
    the words it shows, so a speech user can say what they see to press it."""
    mismatched = page.evaluate(
        """() => [...document.querySelectorAll("button[aria-label], a[aria-label]")]
            .map((el) => ({label: el.getAttribute("aria-label"), text: el.innerText.trim()}))
            .filter(({label, text}) => text && !label.toLowerCase().includes(text.toLowerCase()))"""
    )
    assert not mismatched, f"accessible names without their visible text: {mismatched}"
