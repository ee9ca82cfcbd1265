"""The study flow by keyboard alone: Tab, Shift+Tab, Enter, Space and typed text, no
clicks. Sign in, open a topic, start a session, ask, open a citation, make cards from
the answer, and rate one."""

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import DATA, TIMEOUT_MS, Watch, new_context
from tests.web.study import topic_with_material

TAB_LIMIT = 150


def focused(target) -> bool:
    return target.count() > 0 and target.first.evaluate("el => el === document.activeElement")


def tab_to(page, target, *, backwards: bool = False) -> None:
    """Presses Tab (or Shift+Tab) until the target has focus; fails if it never does."""
    for _ in range(TAB_LIMIT):
        if focused(target):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{TAB_LIMIT} presses of Tab never reached {target}")


def test_study_by_keyboard_alone(server, browser, account):
    topic_with_material(server.base_url, account["token"], "Keyboard", DATA / "tutorial-errors.md")
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    page.goto(server.base_url + "/")
    keys = page.keyboard

    tab_to(page, page.get_by_label("Email"))
    keys.type(account["email"])
    tab_to(page, page.get_by_label("Password"))
    keys.type(PASSWORD)
    keys.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()

    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Topics"))
    keys.press("Enter")
    tab_to(page, page.get_by_role("link", name="Keyboard"))
    keys.press("Enter")
    tab_to(page, page.get_by_role("button", name="Start studying"))
    keys.press("Enter")

    question = page.get_by_label("Your question")
    tab_to(page, question)
    keys.type("What is the else clause of a try statement for?")
    tab_to(page, page.get_by_role("button", name="Ask"))
    keys.press("Space")
    answer = page.locator('article[aria-label="Tutor\'s answer"]').first
    expect(answer).to_have_attribute("data-status", "COMPLETE", timeout=TIMEOUT_MS)

    tab_to(page, answer.get_by_role("button", name=re.compile(r"^\[1\] citation")))
    keys.press("Enter")
    passage = page.get_by_role("region", name="Quoted passage")
    expect(passage.get_by_role("heading")).to_contain_text("tutorial-errors.md")
    expect(passage).to_be_focused()

    tab_to(page, answer.get_by_role("button", name="Make flashcards from citations"))
    keys.press("Space")
    answer.get_by_role("status").filter(
        has_text=re.compile(r"[1-9]\d* flashcards? made")
    ).wait_for()

    tab_to(page, page.get_by_role("link", name="Flashcards"), backwards=True)
    keys.press("Enter")
    page.get_by_role("heading", name="Flashcards").wait_for()
    tab_to(page, page.get_by_role("button", name="Show answer"))
    keys.press("Space")
    ratings = page.get_by_role("group", name="How well did you recall it?")
    tab_to(page, ratings.get_by_role("button", name=re.compile(r"^Good")))
    keys.press("Enter")
    expect(page.get_by_text(re.compile(r"^Good: .* comes back"))).to_be_visible()
    watch.check()
    context.close()
