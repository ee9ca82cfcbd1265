"""Plain async factory functions for tests."""

import itertools
from datetime import timedelta

from db.accounts import users
from db.chat.states import MessageRole, MessageStatus
from db.engine import unit_of_work
from db.learning import cards
from db.models import Card, Message, StudySession, Topic
from db.study import study_sessions, topics

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def unique_email() -> str:
    return f"learner{next(_counter)}@example.com"


async def make_user(harness, *, email: str | None = None) -> users.Credentials:
    return await users.register_user(
        harness.session_factory,
        policy=harness.policy,
        email=email or unique_email(),
        password=PASSWORD,
        display_name=None,
    )


async def make_topic(harness, *, owner_id: int, title: str = "Python", description=None) -> Topic:
    async with unit_of_work(harness.session_factory) as session:
        return await topics.create_topic(
            session, owner_id=owner_id, title=title, description=description
        )


async def make_session(
    harness, *, owner_id: int, topic_id: int | None = None, title: str | None = None, **kwargs
) -> StudySession:
    async with unit_of_work(harness.session_factory) as session:
        return await study_sessions.start_study_session(
            session,
            owner_id=owner_id,
            topic_id=topic_id,
            title=title,
            mode=kwargs.get("mode", "EXPLAIN"),
            model=kwargs.get("model", "local:tutor"),
            now=kwargs.get("now"),
        )


async def make_open_session(harness, *, owner_id: int, minutes: int = 60) -> StudySession:
    """An active session stored as is, leaving the owner's other sessions open too."""
    now = harness.clock()
    async with unit_of_work(harness.session_factory) as session:
        row = StudySession(
            owner_id=owner_id, title="Open", mode="EXPLAIN", model="local:tutor",
            started_at=now, last_activity_at=now, idle_deadline=now + timedelta(minutes=minutes),
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row


async def make_card(
    harness, *, owner_id: int, topic_id: int, front: str = "Q", back: str = "A", now=None
) -> Card:
    """A new card of the topic, due now (or at `now`)."""
    async with unit_of_work(harness.session_factory) as session:
        return await cards.create_card(
            session, owner_id=owner_id, topic_id=topic_id, front=front, back=back,
            now=now or harness.clock(),
        )  # fmt: skip


async def make_message(
    harness,
    *,
    owner_id: int,
    session_id: int,
    role: str = MessageRole.ASSISTANT,
    status: str = MessageStatus.COMPLETE,
    mode: str = "EXPLAIN",
    **fields,
) -> Message:
    """A message row stored as is (no turn runs), for tests that need one in a given state."""
    async with unit_of_work(harness.session_factory) as session:
        row = Message(
            owner_id=owner_id, session_id=session_id, role=role, status=status, mode=mode,
            **fields,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row


async def graphql(http, query: str, variables: dict | None = None, *, token: str | None = None):
    """POST an operation over HTTP; returns the decoded JSON body."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()
