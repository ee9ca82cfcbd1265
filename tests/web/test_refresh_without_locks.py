"""Two tabs renewing at once on an origin without Web Locks (plain http on a LAN
address has no navigator.locks): one refresh token must be spent once, or the server
takes it for a stolen one and signs the learner out everywhere."""

import time

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.browser import Watch, graphql, new_context, sign_in, stored_tokens

# No Web Locks, as on an insecure origin; and every refresh request waits 2 s before it
# leaves, so the second tab's renewal starts while the first one's is still under way.
NO_LOCKS_SLOW_REFRESH = """
delete Navigator.prototype.locks;
const send = window.fetch.bind(window);
window.fetch = async (input, init) => {
  if (typeof init?.body === "string" && init.body.includes("mutation Refresh(")) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return send(input, init);
};
"""


def test_two_tabs_without_web_locks_spend_the_refresh_token_once(server, browser, account):
    watch = Watch()
    context = new_context(browser, watch)
    context.add_init_script(NO_LOCKS_SLOW_REFRESH)
    refreshes: list[str] = []
    context.on(
        "request",
        lambda r: refreshes.append(r.url) if "mutation Refresh(" in (r.post_data or "") else None,
    )
    first, second = context.new_page(), context.new_page()
    sign_in(first, server.base_url, account["email"], PASSWORD)
    second.goto(server.base_url + "/")
    second.get_by_role("heading", name="Dashboard").wait_for()
    assert first.evaluate("'locks' in navigator") is False

    # The access token is about to expire, in both tabs at once (they share storage) ...
    old = stored_tokens(first)
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 20))
    first.evaluate(
        "soon => { const t = JSON.parse(localStorage.getItem('studygraph.auth'));"
        " t.accessTokenExpiresAt = soon;"
        " localStorage.setItem('studygraph.auth', JSON.stringify(t)); }",
        soon,
    )
    # ... and both need it now: each loads a screen, so each renews first.
    for page in (first, second):
        page.get_by_role("link", name="Topics").click()
    for page in (first, second):
        page.wait_for_function(
            "old => JSON.parse(localStorage.getItem('studygraph.auth') ?? 'null')?.refreshToken"
            " !== old",
            arg=old["refreshToken"],
        )
    # Both tabs had their turn: neither was signed out, and one request rotated the token.
    first.wait_for_timeout(3000)
    renewed = stored_tokens(first)
    assert renewed is not None, "reusing the refresh token signed the learner out"
    assert renewed["refreshToken"] != old["refreshToken"]
    assert len(refreshes) == 1, refreshes
    for page in (first, second):
        expect(page.get_by_role("heading", name="Topics")).to_be_visible()
        assert stored_tokens(page) == renewed
    me = graphql(server.base_url, "{ me { email } }", token=renewed["accessToken"])["me"]
    assert me["email"] == account["email"]
    watch.check()
    context.close()
