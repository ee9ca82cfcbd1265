"""GraphiQL served from studygraph itself: vendored bundles (static/README.md), no CDN.

The page loads nothing from another host, so it works offline and under the strict
Content-Security-Policy it is sent with. A sign-in bar above the editor calls `login`,
fills the Authorization header (and the websocket's connection_init payload) and renews
the access token before it expires. Development only: production serves no IDE.
"""

from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# Where the app mounts STATIC_DIR.
STATIC_PATH = "/graphiql"

DEFAULT_QUERY = """# Sign in above (`uv run studygraph demo` prints a demo account),
# then run this with the play button or Ctrl-Enter.
query Dashboard {
  me { email displayName }
  topics(first: 5) { totalCount edges { node { title progress { mastery dueCardsCount } } } }
  nextUpTopics(limit: 3) { topic { title } reason }
}
"""

# Everything from this server; GraphiQL sets inline styles (CodeMirror, popovers) and
# the CSS embeds its fonts as data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>studygraph · GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{static}/graphiql.min.css">
  <link rel="stylesheet" href="{static}/studygraph-graphiql.css">
</head>
<body>
  <form id="sign-in" autocomplete="on">
    <span class="fields">
      <strong>Development sign-in</strong>
      <input name="email" type="email" placeholder="email" required autocomplete="username">
      <input name="password" type="password" placeholder="password" required
             autocomplete="current-password">
      <button type="submit">Sign in</button>
    </span>
    <span id="sign-in-status">Not signed in: only register, login and serverInfo work.</span>
    <button id="sign-out" type="button">Sign out</button>
    <a href="/start">studygraph home</a>
  </form>
  <div id="graphiql">Loading…</div>
  <script src="{static}/react.production.min.js"></script>
  <script src="{static}/react-dom.production.min.js"></script>
  <script src="{static}/graphiql.min.js"></script>
  <script src="{static}/studygraph-graphiql.js" data-graphql-path="{graphql_path}"
          data-default-query="{default_query}"></script>
</body>
</html>
"""


def graphiql_page(graphql_path: str = "/graphql") -> HTMLResponse:
    """The GraphiQL page for the endpoint at `graphql_path`."""
    html = _PAGE.format(
        static=STATIC_PATH,
        graphql_path=escape(graphql_path),
        default_query=escape(DEFAULT_QUERY),
    )
    return HTMLResponse(html, headers={"content-security-policy": CONTENT_SECURITY_POLICY})


def static_files() -> StaticFiles:
    """The vendored bundles and our page script, for mounting at STATIC_PATH."""
    return StaticFiles(directory=STATIC_DIR)
