"""The daily token budget in a real browser: the header shows what is left and updates
when an answer ends; a question past the budget is refused in words, with when to retry."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import Server, migrated_database, running_server
from tests.web.browser import DATA, TIMEOUT_MS
from tests.web.study import ask, session_page

# Less than one answer of the offline tutor: the first answer spends it all.
BUDGET = 40


@pytest.fixture(scope="module")
def server(request, sqlite_template, tmp_path_factory) -> Iterator[Server]:
    # sqlite_template first: it runs its own event loop, which Playwright's would block.
    workdir = tmp_path_factory.mktemp("webapp-budget")
    with (
        migrated_database("sqlite", request, workdir) as url,
        running_server(url, workdir, STUDYGRAPH_DAILY_TOKEN_BUDGET=str(BUDGET)) as up,
    ):
        yield up


def test_the_budget_left_updates_after_an_answer_and_a_spent_one_says_when(
    server, browser, account
):
    page, context, watch, _session = session_page(
        server, browser, account, "Budget", DATA / "tutorial-errors.md"
    )
    budget = page.locator(".account .budget")
    expect(budget).to_have_text(f"{BUDGET} of {BUDGET} tokens left today")

    ask(page, "What does finally do?")
    answer = page.locator('article[aria-label="Tutor\'s answer"]').nth(0)
    expect(answer).to_have_attribute("data-status", "COMPLETE", timeout=TIMEOUT_MS)
    # No reload and no navigation: the header learns of the spent tokens by itself.
    expect(budget).to_have_text(f"0 of {BUDGET} tokens left today")

    ask(page, "And what does else do?")
    refused = page.get_by_role("alert").filter(has_text="token budget")
    expect(refused).to_contain_text(f"Today's token budget of {BUDGET} tokens is spent")
    assert re.search(r"Try again in \d+ (hours|minutes|seconds)\.", refused.inner_text())
    # The question stays in the box, to send when the budget renews.
    expect(page.get_by_label("Your question")).to_have_value("And what does else do?")
    watch.check()
    context.close()
