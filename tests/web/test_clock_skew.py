"""A browser whose clock is wrong by minutes still renews its access token on time: the
token's lifetime comes from the server's clock, the time since it arrived from the
browser's, so the offset cancels."""

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import Watch, new_context, sign_in, stored_tokens

# Twenty minutes fast: every token the server issues (15 minutes) looks expired already.
CLOCK_FAST = """
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + 20 * 60 * 1000;
"""
WATCH_SECONDS = 12  # over two of the app's 5-second renewal checks


def test_a_fast_browser_clock_does_not_renew_a_fresh_token(server, browser, account):
    watch = Watch()
    context = new_context(browser, watch)
    context.add_init_script(CLOCK_FAST)
    refreshes: list[str] = []
    context.on(
        "request",
        lambda r: refreshes.append(r.url) if "mutation Refresh(" in (r.post_data or "") else None,
    )
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    signed_in = stored_tokens(page)
    page.get_by_role("link", name="Topics").click()
    expect(page.get_by_role("heading", name="Topics")).to_be_visible()
    page.wait_for_timeout(WATCH_SECONDS * 1000)
    assert refreshes == [], "the fresh token was renewed as if it had expired"
    assert stored_tokens(page)["refreshToken"] == signed_in["refreshToken"]
    watch.check()
    context.close()
