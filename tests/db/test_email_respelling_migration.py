"""Migration 0010 gives stored emails their one spelling, and keeps every account
reachable by sign-in, on both databases."""

import pytest
import sqlalchemy as sa

from db.accounts import users
from db.accounts.passwords import hash_password
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_database
from db.types import UTCDateTime, utcnow
from tests import databases
from tests.harness import TEST_JWT_SECRET

USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("display_name", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("timezone", sa.String),
    sa.column("created_at", UTCDateTime),
)
PASSWORD = "correct horse battery"
# Stored by the old rule (trimmed and lower-cased), and what each becomes.
STORED = {
    "ada@example.com": "ada@example.com",
    "straße@example.de": "strasse@example.de",  # casefold turns the sharp s into "ss"
    "\uff47race@example.com": "grace@example.com",  # a fullwidth g
    "linus@example.org": "linus@example.org",
    "\uff4cinus@example.org": "\uff4cinus@example.org",  # its spelling is taken: kept
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def unmigrated_url(request, tmp_path):
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


async def test_0010_respells_stored_emails_and_every_account_still_signs_in(unmigrated_url):
    await upgrade_database(unmigrated_url, "0007")
    engine = create_engine(unmigrated_url)
    try:
        password_hash = await hash_password(PASSWORD)
        async with engine.begin() as connection:
            for number, email in enumerate(STORED, start=1):
                await connection.execute(
                    USERS.insert().values(
                        id=number, email=email, display_name="x", password_hash=password_hash,
                        timezone="UTC", created_at=utcnow(),
                    )
                )  # fmt: skip
        await upgrade_database(unmigrated_url)
        async with engine.connect() as connection:
            rows = await connection.execute(sa.select(USERS.c.email).order_by(USERS.c.id))
            assert list(rows.scalars()) == list(STORED.values())
        session_factory = create_session_factory(engine)
        policy = TokenPolicy(TEST_JWT_SECRET)
        for number, old_spelling in enumerate(STORED, start=1):
            signed_in = await users.login_user(
                session_factory, policy=policy, email=old_spelling, password=PASSWORD
            )
            assert signed_in.user.id == number, old_spelling
    finally:
        await engine.dispose()
