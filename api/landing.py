"""GET /start (and / when the web app is not built): a small page telling a visitor what
this server is and where to go next; GET /README.md and, in development, GET
/schema.graphql, which it links to."""

from importlib.metadata import metadata

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>studygraph</title>
  <link rel="icon" href="data:,">
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
           padding: 0 1rem; line-height: 1.5; color: #1d2433; }}
    code {{ background: #f1f3f7; padding: 0.1rem 0.3rem; border-radius: 3px; }}
    li {{ margin: 0.3rem 0; }}
  </style>
</head>
<body>
  <h1>studygraph</h1>
  <p>The GraphQL API of an AI study companion is running here ({env}).</p>
  <ul>
    <li><a href="/">The study app</a>: sign up, topics, material, the tutor, flashcards</li>
    {ide}
    <li><a href="/graphql">/graphql</a>: the endpoint (POST, and websockets with
        graphql-transport-ws)</li>
    {schema}
    <li><a href="/healthz">/healthz</a> and <a href="/readyz">/readyz</a>: liveness and
        readiness</li>
    <li><a href="/README.md">README</a>: setup, every operation, settings</li>
  </ul>
  {demo}
</body>
</html>
"""

_SCHEMA = '<li><a href="/schema.graphql">/schema.graphql</a>: the schema as SDL, for codegen</li>'
_IDE = '<li><a href="/graphql">GraphiQL</a>: explore the API in the browser</li>'
_DEMO = """<p>First time? In another terminal, run <code>uv run studygraph demo</code>: it
  creates a demo learner with topics, material, flashcards and a goal, and prints the
  account to sign in with on the GraphiQL page.</p>"""


def landing_page(*, production: bool) -> str:
    return _PAGE.format(
        env="production" if production else "development",
        ide="" if production else _IDE,
        schema="" if production else _SCHEMA,
        demo="" if production else _DEMO,
    )


def landing_route(*, production: bool):
    html = landing_page(production=production)

    async def landing(request: Request) -> HTMLResponse:
        return HTMLResponse(html)

    return landing


async def readme(request: Request) -> PlainTextResponse:
    """The README this server was installed with (the package's long description)."""
    text = metadata("studygraph").get_payload() or "studygraph: see the project's README.md\n"
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


def schema_route(sdl: str):
    async def schema_sdl(request: Request) -> PlainTextResponse:
        return PlainTextResponse(sdl, media_type="text/plain; charset=utf-8")

    return schema_sdl
