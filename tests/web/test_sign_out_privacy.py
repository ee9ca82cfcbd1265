"""Signing out leaves no answer text behind in the tab: the streamed text a reload
resumes from is kept in sessionStorage, which outlives the sign-out."""

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import DATA, Watch, new_context, sign_in, wait_longer
from tests.web.study import session_path, start_session, topic_with_material

STREAM_KEYS = "Object.keys(sessionStorage).filter((k) => k.startsWith('studygraph.stream.'))"


def test_signing_out_mid_answer_clears_the_cached_answer_text(server, browser, account):
    topic = topic_with_material(
        server.base_url, account["token"], "Privacy", DATA / "tutorial-errors.md"
    )
    session = start_session(server.base_url, account["token"], topic)
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.goto(server.base_url + session_path(session))
    page.get_by_label("Your question").fill("What is the else clause of a try statement for?")
    page.get_by_role("button", name="Ask").click()
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
