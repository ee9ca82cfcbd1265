"""Flashcards and the dashboard in a real browser: review with the four ratings, each
showing when the card would come back; mastery, next up, the week's plan, goals with an
exam date, daily minutes and the streak; a phone-sized screen in the dark scheme."""

import re
from datetime import date, datetime, timedelta

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import Watch, graphql, new_context, screenshot, sign_in

CREATE_CARD = """mutation($topic: ID!, $front: String!, $back: String!) {
  createCard(input: {topicId: $topic, front: $front, back: $back}) { id }
}"""
NEXT_UP = "{ nextUpTopics(limit: 5) { reason topic { title } } }"
CARDS = "{ cards(first: 10) { edges { node { id due reviewOutcomes { rating due } } } } }"


def cards_to_review(server, account) -> list[str]:
    topic = graphql(
        server.base_url,
        'mutation { createTopic(input: {title: "Capitals"}) { id } }',
        token=account["token"],
    )["createTopic"]["id"]
    return [
        graphql(
            server.base_url,
            CREATE_CARD,
            {"topic": topic, "front": f"Capital of {country}?", "back": capital},
            account["token"],
        )["createCard"]["id"]
        for country, capital in (("France", "Paris"), ("Peru", "Lima"))
    ]


def card(server, account, card_id: str) -> dict:
    edges = graphql(server.base_url, CARDS, token=account["token"])["cards"]["edges"]
    [found] = [edge["node"] for edge in edges if edge["node"]["id"] == card_id]
    return found


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_review_shows_when_each_rating_brings_the_card_back(server, browser, account):
    cards = cards_to_review(server, account)
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.get_by_role("link", name="Flashcards").click()
    page.get_by_role("heading", name=re.compile(r"Capital of")).wait_for()
    front = page.get_by_role("heading", name=re.compile(r"Capital of")).inner_text()
    reviewed = cards[0] if "France" in front else cards[1]
    preview = card(server, account, reviewed)

    # Keyboard only: "Show answer" has the focus, Enter reveals the back.
    page.keyboard.press("Enter")
    ratings = page.get_by_role("group", name="How well did you recall it?")
    buttons = ratings.get_by_role("button")
    expect(buttons).to_have_count(4)
    labels = [" ".join(b.inner_text().split()) for b in buttons.all()]
    assert [label.split()[0] for label in labels] == ["Again", "Hard", "Good", "Easy"]
    assert all(re.search(r"in \d+ (min|h|days?|months)$", label) for label in labels), labels
    screenshot(page, "08-flashcard-ratings")

    ratings.get_by_role("button", name=re.compile(r"^Good")).click()
    page.get_by_text(re.compile(r"Good: .* comes back")).wait_for()
    after = card(server, account, reviewed)
    [good] = [o for o in preview["reviewOutcomes"] if o["rating"] == "GOOD"]
    # The preview is what the review stored (moved only by the seconds in between).
    assert abs((parse(after["due"]) - parse(good["due"])).total_seconds()) < 120
    watch.check()
    context.close()


def test_dashboard_shows_progress_plan_goals_and_streak(server, browser, account):
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    cards_to_review(server, account)
    page.reload()

    chart = page.get_by_role("img", name=re.compile(r"Minutes studied on each of the last"))
    chart.wait_for()
    assert "streak" in page.locator("figcaption").inner_text()
    next_up = page.get_by_role("region", name="Next up")
    # The reason is the point of "next up": the two due cards, in the server's words.
    [reason] = [
        pick["reason"]
        for pick in graphql(server.base_url, NEXT_UP, token=account["token"])["nextUpTopics"]
        if pick["topic"]["title"] == "Capitals"
    ]
    assert "2" in reason and "due" in reason, reason
    expect(next_up.get_by_role("listitem").first).to_have_text(
        re.compile("^" + re.escape(f"Capitals: {reason}"))
    )
    mastery = page.get_by_role("region", name="Mastery per topic")
    expect(mastery.get_by_role("meter", name="Capitals mastery").first).to_be_visible()
    plan = page.get_by_role("region", name="This week's plan")
    assert plan.locator(".plan > li").count() == 7

    goals = page.get_by_role("region", name="Goals")
    goals.get_by_label("Goal", exact=True).fill("Capitals exam")
    goals.get_by_label("Topic").select_option(label="Capitals")
    exam = date.today() + timedelta(days=100)  # always ahead, whenever the test runs
    goals.get_by_label("Exam date").fill(exam.isoformat())
    goals.get_by_label("Target mastery (%)").fill("80")
    goals.get_by_label("Minutes a week").fill("90")
    goals.get_by_role("button", name="Add goal").click()
    goal = goals.get_by_role("listitem").filter(has_text="Capitals exam")
    expect(goal).to_contain_text("exam")
    expect(goal).to_contain_text(exam.strftime("%b"))
    expect(plan).to_contain_text("Exam Capitals")
    screenshot(page, "09-dashboard")
    watch.check()
    context.close()


def test_a_phone_in_the_dark_gets_the_whole_app(server, browser, demo_learner):
    watch = Watch()
    context = new_context(
        browser, watch, viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    page = context.new_page()
    sign_in(page, server.base_url, demo_learner["email"], demo_learner["password"])
    background = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(18, 21, 28)", f"the dark scheme was not applied: {background}"
    screens = (
        ("10-phone-dashboard-dark", "/"),
        ("11-phone-topics-dark", "/topics"),
        ("12-phone-flashcards-dark", "/cards"),
    )
    for name, path in screens:
        page.goto(server.base_url + path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        screenshot(page, name)
    # The demo's five weeks of reviews show as bars and a streak.
    page.goto(server.base_url + "/")
    expect(page.locator("figcaption")).to_contain_text(re.compile(r"streak [1-9]"))
    watch.check()
    context.close()
