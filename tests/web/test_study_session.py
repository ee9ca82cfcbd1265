"""Studying in a real browser: material with live processing, a session whose answer
streams token by token, stop, regenerate with a model from the picker, more detail,
citations that open their passage, flashcards from an answer, a failed answer's retry."""

import re
from urllib.parse import quote, unquote

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import (
    DATA,
    TIMEOUT_MS,
    Watch,
    answer_text,
    labels_contain_visible_text,
    new_context,
    normalised,
    screenshot,
    sign_in,
    wait_longer,
)
from tests.web.study import (
    REGENERATE,
    ask,
    graphql,
    session_page,
    session_path,
    start_session,
    stored_message,
    stored_session,
    topic_with_material,
)

ANSWERS = 'article[aria-label="Tutor\'s answer"]'
# Every <progress> bar the page ever shows, recorded as the DOM changes: processing can
# be over between two polls of a locator.
RECORD_PROGRESS = """
window.__progress = [];
new MutationObserver(() => {
  for (const bar of document.querySelectorAll("progress")) {
    window.__progress.push({label: bar.getAttribute("aria-label"), value: bar.value, max: bar.max});
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def wait_status(article, status: str) -> None:
    # A locator, not an element handle: the finished answer is a new element.
    expect(article).to_have_attribute("data-status", status, timeout=TIMEOUT_MS)


def test_material_is_uploaded_followed_live_refused_in_words_and_deleted(server, browser, account):
    watch = Watch()
    context = new_context(browser, watch)
    context.add_init_script(RECORD_PROGRESS)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    topic = graphql(
        server.base_url,
        'mutation { createTopic(input: {title: "Python modules"}) { id } }',
        token=account["token"],
    )["createTopic"]["id"]
    page.goto(f"{server.base_url}/topics/{quote(topic)}")
    files = page.get_by_role("list", name="Material files")

    # The file picker.
    page.get_by_label("Choose files").set_input_files(DATA / "tutorial-errors.md")
    files.get_by_role("listitem").filter(has_text="tutorial-errors.md").filter(
        has_text=re.compile(r"Ready: \d+ passages")
    ).wait_for()

    # Drag and drop: a PDF comes back PROCESSING; only materialEvents can turn it READY
    # here (the page does not poll), with its page count.
    pdf = (DATA / "tutorial-modules.pdf").read_bytes()
    dropped = page.evaluate_handle(
        """([name, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
            return transfer;
        }""",
        ["tutorial-modules.pdf", list(pdf)],
    )
    page.get_by_test_id("dropzone").dispatch_event("drop", {"dataTransfer": dropped})
    files.get_by_role("listitem").filter(has_text="tutorial-modules.pdf").filter(
        has_text=re.compile(r"Ready: \d+ pages?, \d+ passages")
    ).wait_for()
    # On its way there the learner watched it being indexed, passage by passage.
    bars = page.evaluate("window.__progress")
    shown = [b for b in bars if b["label"] == "tutorial-modules.pdf processing" and b["max"] > 0]
    assert shown, f"no processing progress was shown: {bars[:5]}"
    assert all(0 <= b["value"] <= b["max"] for b in shown), shown

    # A PDF named .txt is refused, and the learner is told why in words.
    page.get_by_label("Choose files").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": pdf}
    )
    refused = page.get_by_role("alert").filter(has_text="notes.txt: That file type is not")
    refused.wait_for()
    screenshot(page, "04-topic-material")

    page.get_by_role("button", name="Delete tutorial-modules.pdf").click()
    files.get_by_role("listitem").filter(has_text="tutorial-modules.pdf").wait_for(state="detached")
    assert files.get_by_role("listitem").count() == 1
    watch.problems = [p for p in watch.problems if "status of 415" not in p]
    watch.check()
    context.close()


def test_a_session_streams_stops_regenerates_details_and_cites(server, browser, account):
    topic = topic_with_material(
        server.base_url, account["token"], "Errors", DATA / "tutorial-errors.md"
    )
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.goto(f"{server.base_url}/topics/{quote(topic)}")
    # Not the default mode: the session must be started in the one picked.
    page.get_by_label("Mode", exact=True).select_option(label="Quiz me")
    page.get_by_role("button", name="Start studying").click()
    page.get_by_label("Your question").wait_for()
    expect(page.get_by_label("Mode", exact=True)).to_have_value("QUIZ")
    expect(page.locator(".session > p.muted")).to_contain_text("quiz")
    session_id = unquote(page.url.rsplit("/", 1)[-1])
    assert stored_session(server.base_url, account["token"], session_id)["mode"] == "QUIZ"
    # A question may still ask for another mode (a quiz answer cites nothing).
    page.get_by_label("Mode", exact=True).select_option("EXPLAIN")
    answers = page.locator(ANSWERS)

    ask(page, "What is the else clause of a try statement for?")
    first = answers.nth(0)
    wait_status(first, "STREAMING")
    # Token by token: the text grows while the answer streams.
    early = wait_longer(first, 20)
    assert wait_longer(first, len(early) + 20).startswith(early)
    wait_status(first, "COMPLETE")

    first.get_by_role("button", name=re.compile(r"^\[1\] citation")).first.click()
    passage = page.get_by_role("region", name="Quoted passage")
    passage.get_by_role("heading", name=re.compile("tutorial-errors.md")).wait_for()
    labels_contain_visible_text(page)
    assert len(passage.locator("blockquote").inner_text()) > 20
    screenshot(page, "05-session-answer-with-passage")

    first.get_by_role("button", name="Make flashcards from citations").click()
    first.get_by_role("status").filter(has_text=re.compile(r"[1-9]\d* flashcards? made")).wait_for()

    # Stop: the answer ends CANCELLED with the text written so far.
    ask(page, "How do I raise an exception of my own?")
    second = answers.nth(1)
    wait_status(second, "STREAMING")
    wait_longer(second, 30)
    second.get_by_role("button", name="Stop").click()
    wait_status(second, "CANCELLED")
    second.get_by_text("Stopped.").wait_for()
    stopped_id = second.get_attribute("data-message-id")
    stored = stored_message(server.base_url, account["token"], stopped_id)
    assert stored["status"] == "CANCELLED"
    assert normalised(stored["content"]) == answer_text(second)

    # Regenerate the stopped answer with a model picked from `models`.
    second.get_by_label("Model for regenerating").select_option("local:tutor")
    second.get_by_role("button", name="Regenerate").click()
    answers.nth(2).wait_for()
    wait_status(answers.nth(2), "COMPLETE")

    answers.nth(2).get_by_role("button", name="More detail").click()
    answers.nth(3).wait_for()
    wait_status(answers.nth(3), "COMPLETE")
    assert answer_text(answers.nth(3))
    watch.check()
    context.close()


def test_a_failed_answer_says_why_and_retries(server, browser, account):
    page, context, watch, _session = session_page(
        server, browser, account, "Retry", DATA / "tutorial-errors.md"
    )
    ask(page, "What does finally do?")
    answers = page.locator(ANSWERS)
    wait_status(answers.nth(0), "COMPLETE")

    # Another client regenerates it with a provider that is down: this page learns of
    # the new answer from sessionEvents and shows why it failed.
    answer_id = answers.nth(0).get_attribute("data-message-id")
    graphql(server.base_url, REGENERATE, {"id": answer_id, "model": "dead:any"}, account["token"])
    failed = answers.nth(1)
    failed.wait_for()
    wait_status(failed, "FAILED")
    failed.get_by_role("alert").filter(has_text="could not finish").wait_for()
    screenshot(page, "06-session-failed-answer")
    failed.get_by_label("Model for regenerating").select_option("local:tutor")
    failed.get_by_role("button", name="Retry").click()
    answers.nth(2).wait_for()
    wait_status(answers.nth(2), "COMPLETE")
    watch.check()
    context.close()


def test_regenerate_uses_the_model_picked_not_the_sessions(server, browser, account):
    # The session's own model is a provider that is down: an answer regenerated with
    # "Same model" fails again; only the model picked can complete it.
    page, context, watch, session = session_page(
        server, browser, account, "Models", DATA / "tutorial-errors.md", model="dead:any"
    )
    ask(page, "What does finally do?")
    answers = page.locator(ANSWERS)
    wait_status(answers.nth(0), "FAILED")
    picker = answers.nth(0).get_by_label("Model for regenerating")
    assert "local:tutor" in picker.locator("option").all_inner_texts()
    picker.select_option("local:tutor")
    answers.nth(0).get_by_role("button", name="Regenerate").click()
    wait_status(answers.nth(1), "COMPLETE")
    regenerated = answers.nth(1).get_attribute("data-message-id")
    stored = stored_message(server.base_url, account["token"], regenerated)
    assert stored["model"] == "local:tutor", stored
    assert stored_session(server.base_url, account["token"], session)["model"] == "dead:any"
    watch.check()
    context.close()


def test_a_pdf_citation_opens_its_passage_with_the_page(server, browser, account):
    topic = topic_with_material(
        server.base_url,
        account["token"],
        "Modules",
        DATA / "tutorial-modules.pdf",
        media_type="application/pdf",
    )
    session = start_session(server.base_url, account["token"], topic)
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.goto(server.base_url + session_path(session))
    ask(page, "How do I import a module?")
    answer = page.locator(ANSWERS).nth(0)
    wait_status(answer, "COMPLETE")
    answer.get_by_role("button", name=re.compile(r"^\[1\] citation")).first.click()
    passage = page.get_by_role("region", name="Quoted passage")
    heading = passage.get_by_role("heading", name=re.compile(r"tutorial-modules\.pdf, page \d+$"))
    heading.wait_for()
    watch.check()
    context.close()
