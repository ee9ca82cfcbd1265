"""An answer survives a reload mid-stream (it resumes after the last event this tab
showed, with afterSeq) and shows in a second tab on the same session (sessionEvents),
with nothing lost and nothing twice."""

import json

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import (
    DATA,
    TIMEOUT_MS,
    Watch,
    answer_text,
    new_context,
    normalised,
    screenshot,
    sign_in,
    wait_longer,
)
from tests.web.study import session_path, start_session, stored_message, topic_with_material

ANSWERS = 'article[aria-label="Tutor\'s answer"]'
QUESTION = "Summarize what the material says about handling exceptions."


def resumed_after(frames: list[str]) -> list[int]:
    """The afterSeq of every messageEvents subscription the page sent."""
    seqs = []
    for frame in frames:
        message = json.loads(frame)
        payload = message.get("payload") or {}
        if message.get("type") == "subscribe" and "messageEvents" in payload.get("query", ""):
            seqs.append(payload["variables"]["afterSeq"])
    return seqs


def test_a_reloaded_tab_resumes_and_a_second_tab_follows(server, browser, account):
    topic = topic_with_material(
        server.base_url, account["token"], "Resume", DATA / "tutorial-errors.md"
    )
    session = start_session(server.base_url, account["token"], topic, mode="SUMMARIZE")
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    url = server.base_url + session_path(session)
    page.goto(url)
    other = context.new_page()  # the second tab, open on the same session
    other.goto(url)
    other.get_by_label("Your question").wait_for()

    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(ANSWERS).first
    expect(answer).to_have_attribute("data-status", "STREAMING", timeout=TIMEOUT_MS)
    before = wait_longer(answer, 60)
    answer_id = answer.get_attribute("data-message-id")

    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda f: frames.append(f)))
    page.reload()
    answer = page.locator(ANSWERS).first
    # Right after the reload: still streaming, and going on from where it was.
    expect(answer).to_have_attribute("data-status", "STREAMING", timeout=TIMEOUT_MS)
    samples = [answer_text(answer)]
    samples.append(wait_longer(answer, len(samples[0]) + 10))
    screenshot(page, "07-session-resumed-mid-answer")
    expect(answer).to_have_attribute("data-status", "COMPLETE", timeout=TIMEOUT_MS)

    stored = stored_message(server.base_url, account["token"], answer_id)
    final = normalised(stored["content"])
    assert answer_text(answer) == final
    # Nothing twice: everything shown while it streamed was the answer's beginning.
    for shown in [before, *samples]:
        assert final.startswith(shown), (shown, final)
    # The reloaded tab asked only for the events after the ones it had shown.
    assert any(seq > 0 for seq in resumed_after(frames)), resumed_after(frames)

    # The second tab saw the question and the whole answer arrive.
    other.get_by_role("article", name="Question").filter(has_text=QUESTION).wait_for()
    followed = other.locator(f'article[data-message-id="{answer_id}"]')
    expect(followed).to_have_attribute("data-status", "COMPLETE", timeout=TIMEOUT_MS)
    assert answer_text(followed) == final
    watch.check()
    context.close()
