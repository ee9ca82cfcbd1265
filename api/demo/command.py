"""`studygraph demo`: build the demo learner in the configured database and say how to
sign in with it."""

import asyncio
import sys

from api.demo.builder import DemoSummary, create_demo
from api.settings import Settings
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory, normalize_database_url
from db.types import utcnow

SIGN_IN = """
Sign in as {email} with the password {password}:
  - GraphiQL: run `uv run studygraph serve`, open http://127.0.0.1:8000/graphql and use
    the sign-in bar at the top, then run the Dashboard query;
  - or from a script: the `login` mutation gives an access token for
    `Authorization: Bearer <accessToken>` (see the README's "Using the API").
"""


def run_demo(settings: Settings) -> int:
    """Create the demo learner (migrations already applied); 0 on success."""
    if settings.is_production:
        sys.stderr.write(
            "studygraph demo: refused with STUDYGRAPH_ENV=production (the demo account's "
            "password is public)\n"
        )
        return 2
    summary = asyncio.run(_build(settings))
    sys.stdout.write(describe(summary))
    return 0


async def _build(settings: Settings) -> DemoSummary:
    engine = create_engine(normalize_database_url(settings.database_url))
    try:
        policy = TokenPolicy(secret=settings.resolve_jwt_secret())
        return await create_demo(create_session_factory(engine), policy=policy, now=utcnow())
    finally:
        await engine.dispose()


def describe(summary: DemoSummary) -> str:
    if summary.created:
        head = (
            f"Created the demo learner: {summary.topics} topics with material, "
            f"{summary.cards} flashcards with {summary.reviews} reviews over the past "
            "weeks, an exam goal and finished study sessions.\n"
        )
    else:
        head = "The demo learner already exists; nothing changed.\n"
    return head + SIGN_IN.format(email=summary.email, password=summary.password)
