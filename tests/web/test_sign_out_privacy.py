"""Signing out leaves no answer text behind in the tab: the streamed text a reload
resumes from is kept in sessionStorage, which outlives the sign-out."""

from playwright.sync_api import expect

from tests.web.browser import DATA, wait_longer
from tests.web.study import ask, session_page

STREAM_KEYS = "Object.keys(sessionStorage).filter((k) => k.startsWith('studygraph.stream.'))"


def test_signing_out_mid_answer_clears_the_cached_answer_text(server, browser, account):
    page, context, watch, _session = session_page(
        server, browser, account, "Privacy", DATA / "tutorial-errors.md"
    )
    ask(page, "What is the else clause of a try statement for?")
    answer = page.locator('article[aria-label="Tutor\'s answer"]').first
    wait_longer(answer, 30)
    # Streaming: the text so far is cached for a reload.
    assert page.evaluate(STREAM_KEYS), "the streaming answer was not cached"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    page.wait_for_timeout(500)  # deltas still on their way must not write it back
    assert page.evaluate(STREAM_KEYS) == []
    watch.check()
    context.close()
