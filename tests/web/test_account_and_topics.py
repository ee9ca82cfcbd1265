"""The study app in a real browser: sign up, stay signed in across a token rotation,
sign out and back in, errors in words, and topics (create, search, rename, delete)."""

import json
import re
import time
import uuid
from urllib.parse import unquote_plus

import httpx

from tests.factories import PASSWORD
from tests.web.browser import (
    Watch,
    labels_contain_visible_text,
    new_context,
    screenshot,
    sign_in,
    stored_tokens,
)


def test_sign_up_stay_signed_in_through_rotation_and_sign_out(server, browser):
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    email = f"web-{uuid.uuid4().hex[:10]}@example.com"

    page.goto(server.base_url + "/")
    screenshot(page, "01-sign-in")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_text("Ada", exact=True).is_visible()

    # A topic's page holds a subscription (materialEvents) on the websocket.
    page.get_by_role("link", name="Topics").click()
    page.get_by_label("New topic title").fill("Rotation")
    page.get_by_role("button", name="Create topic").click()
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda f: frames.append(f)))
    page.get_by_role("link", name="Rotation").click()
    page.get_by_role("heading", name="Rotation").wait_for()
    topic_reads: list[str] = []
    # A query goes by GET when its URL is short enough (urql's default), else by POST.
    page.on(
        "request",
        lambda request: (
            topic_reads.append(request.url)
            if "query Topic(" in (request.post_data or "") + unquote_plus(request.url)
            else None
        ),
    )

    # The access token is about to expire: the app renews it by itself (rotation).
    first = stored_tokens(page)
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 20))
    page.evaluate(
        "soon => { const t = JSON.parse(localStorage.getItem('studygraph.auth'));"
        " t.accessTokenExpiresAt = soon;"
        " localStorage.setItem('studygraph.auth', JSON.stringify(t)); }",
        soon,
    )
    page.wait_for_function(
        "old => JSON.parse(localStorage.getItem('studygraph.auth')).refreshToken !== old",
        arg=first["refreshToken"],
        timeout=20_000,
    )
    renewed = stored_tokens(page)
    assert renewed["accessToken"] != first["accessToken"]
    assert renewed["accessTokenExpiresAt"] > first["accessTokenExpiresAt"]
    # ... and reopens the websocket with it, subscribing again.
    deadline = time.monotonic() + 20
    while init_tokens(frames)[-1:] != [f"Bearer {renewed['accessToken']}"]:
        assert time.monotonic() < deadline, init_tokens(frames)
        page.wait_for_timeout(100)
    tokens = init_tokens(frames)
    assert f"Bearer {first['accessToken']}" in tokens
    subscribes = [f for f in frames if '"subscribe"' in f and "materialEvents" in f]
    assert len(subscribes) >= 2, subscribes
    # materialEvents has no afterSeq: what happened while the socket reopened is read
    # again from the topic's query instead.
    deadline = time.monotonic() + 20
    while not topic_reads:
        assert time.monotonic() < deadline, "the topic was not read again after the reconnect"
        page.wait_for_timeout(100)

    # Still signed in after a reload, on the renewed tokens.
    page.reload()
    page.get_by_role("link", name="Topics").click()
    page.get_by_role("heading", name="Topics").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").wait_for()
    assert stored_tokens(page) is None
    # The refresh token is revoked on the server: it cannot be rotated again.
    assert "UNAUTHENTICATED" in refresh_error(server, renewed["refreshToken"])

    sign_in(page, server.base_url, email, PASSWORD)
    watch.check()
    context.close()


def init_tokens(frames: list[str]) -> list[str]:
    """The authorization of each connection_init the page sent, in order."""
    inits = [json.loads(f) for f in frames if '"connection_init"' in f]
    return [init["payload"]["authorization"] for init in inits]


def refresh_error(server, token: str) -> str:
    answer = httpx.post(
        server.graphql_url,
        json={
            "query": "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            "variables": {"t": token},
        },
    ).json()
    return str(answer.get("errors"))


def test_wrong_passwords_and_throttling_are_told_in_words(server, browser):
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    page.goto(server.base_url + "/")
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    alert = page.get_by_role("alert")
    for _ in range(2):
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in", exact=True).click()
        alert.filter(has_text="do not match an account").wait_for()
    page.get_by_role("button", name="Sign in", exact=True).click()
    limited = alert.filter(has_text="reached a limit")
    limited.wait_for()
    assert re.search(r"Try again in \d+ seconds", limited.inner_text())
    screenshot(page, "02-sign-in-rate-limited")
    # The failed sign-ins log as console errors only if the app threw: it must not.
    watch.problems = [p for p in watch.problems if "status of" not in p]
    watch.check()
    context.close()


def test_topics_list_search_create_rename_delete(server, browser, account):
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.get_by_role("link", name="Topics").click()

    for title in ("Graph theory", "Python errors", "Linear algebra"):
        page.get_by_label("New topic title").fill(title)
        page.get_by_role("button", name="Create topic").click()
        page.get_by_role("link", name=title).wait_for()
    topics = page.get_by_role("list", name="Your topics").get_by_role("listitem")
    assert topics.count() == 3
    screenshot(page, "03-topics")

    page.get_by_label("Search topics").fill("graph")
    page.wait_for_function("() => document.querySelectorAll('.topic').length === 1")
    assert topics.first.get_by_role("link").inner_text() == "Graph theory"
    page.get_by_label("Search topics").fill("")
    page.wait_for_function("() => document.querySelectorAll('.topic').length === 3")

    page.get_by_role("button", name="Rename Python errors").click()
    page.get_by_label("New title for Python errors").fill("Exceptions")
    page.get_by_role("button", name="Save title").click()
    page.get_by_role("link", name="Exceptions").wait_for()

    page.get_by_role("button", name="Delete Linear algebra").click()
    labels_contain_visible_text(page)
    page.get_by_role("button", name="Confirm delete Linear algebra").click()
    page.wait_for_function("() => document.querySelectorAll('.topic').length === 2")
    assert page.get_by_role("link", name="Linear algebra").count() == 0

    # Keyboard only: Tab to the title field, type, Enter creates the topic.
    page.get_by_label("New topic title").focus()
    page.keyboard.type("Keyboard topic")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Keyboard topic").wait_for()
    watch.check()
    context.close()


def test_the_content_security_policy_holds_and_a_violation_fails_the_watch(server, browser):
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    page.goto(server.base_url + "/")
    page.get_by_label("Email").wait_for()
    # What an injected inline script would try: the policy stops it, and says so.
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = true'; document.body.append(s); }"""
    )
    # The violation reaches the console asynchronously: wait for it (bounded), no fixed sleep.
    for _ in range(100):
        if any("Content Security Policy" in problem for problem in watch.problems):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.injected === undefined")
    assert any("Content Security Policy" in problem for problem in watch.problems)
    context.close()
