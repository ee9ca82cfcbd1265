"""Migration 0007 moves the quiz card an answer asked out of its stored tool outputs."""

import json

import pytest
import sqlalchemy as sa
from alembic import command

from db.engine import create_engine
from db.migrate import alembic_config, upgrade_database
from db.types import UTCDateTime, utcnow
from tests import databases

USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("display_name", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("timezone", sa.String),
    sa.column("created_at", UTCDateTime),
)
SESSIONS = sa.table(
    "study_sessions",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("mode", sa.String),
    sa.column("model", sa.String),
    sa.column("started_at", UTCDateTime),
)
MESSAGES = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("content", sa.Text),
    sa.column("status", sa.String),
    sa.column("mode", sa.String),
    sa.column("last_seq", sa.Integer),
    sa.column("citations", sa.JSON),
    sa.column("tool_calls", sa.JSON),
    sa.column("created_at", UTCDateTime),
)


def asked(card_id) -> dict:
    output = json.dumps({"card_id": card_id, "front": "Q?", "topic_id": 1})
    return {"call_id": "q", "name": "next_quiz_card", "arguments": "{}", "output": output}


SEARCH = {"call_id": "s", "name": "search_material", "arguments": "{}", "output": "card_id 5"}
# (role, tool_calls) of stored messages, and the card each should be found to have asked.
STORED = [
    ("ASSISTANT", [SEARCH, asked(7)], 7),
    ("ASSISTANT", [asked(8), asked(None)], 8),  # the last call that returned a card
    ("ASSISTANT", [asked(3), asked(9), SEARCH], 9),
    ("ASSISTANT", [SEARCH], None),
    ("ASSISTANT", [], None),
    ("ASSISTANT", [{**asked(4), "output": None, "status": "FAILED"}], None),
    ("ASSISTANT", [{**asked(4), "output": "not json"}], None),
    ("USER", [asked(6)], None),
]


@pytest.fixture(params=["sqlite", "postgresql"])
async def unmigrated_url(request, tmp_path):
    """An empty database of each kind with no migration applied yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    reason = await databases.postgres_unreachable_reason()
    if reason:
        if databases.postgres_required():
            pytest.fail(reason)
        pytest.skip(reason)
    url = await databases.create_postgres_database(migrate=False)
    yield url
    await databases.drop_postgres_database(url)


async def store_old_messages(url: str) -> list[int]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            now = utcnow()
            await connection.execute(
                USERS.insert().values(
                    id=1, email="a@example.org", display_name="A", password_hash="x",
                    timezone="UTC", created_at=now,
                )
            )  # fmt: skip
            await connection.execute(
                SESSIONS.insert().values(
                    id=1, owner_id=1, title="Quiz", mode="QUIZ", model="local:tutor",
                    started_at=now,
                )
            )  # fmt: skip
            for number, (role, tool_calls, _) in enumerate(STORED, start=1):
                await connection.execute(
                    MESSAGES.insert().values(
                        id=number, owner_id=1, session_id=1, role=role, content="",
                        status="COMPLETE", mode="QUIZ", last_seq=0, citations=[],
                        tool_calls=tool_calls, created_at=now,
                    )
                )  # fmt: skip
    finally:
        await engine.dispose()
    return list(range(1, len(STORED) + 1))


async def quiz_card_ids(url: str) -> list[int | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            query = sa.text("SELECT quiz_card_id FROM messages ORDER BY id")
            return list((await connection.execute(query)).scalars())
    finally:
        await engine.dispose()


async def test_0007_reads_the_asked_card_out_of_old_answers_once(unmigrated_url):
    await upgrade_database(unmigrated_url, "0006")
    await store_old_messages(unmigrated_url)
    await upgrade_database(unmigrated_url)
    assert await quiz_card_ids(unmigrated_url) == [expected for _, _, expected in STORED]


async def test_0007_downgrades_and_upgrades_again(unmigrated_url):
    await upgrade_database(unmigrated_url)
    engine = create_engine(unmigrated_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0006"))
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("messages")}
            )
    finally:
        await engine.dispose()
    assert "quiz_card_id" not in columns
    await upgrade_database(unmigrated_url)
    assert await quiz_card_ids(unmigrated_url) == []
