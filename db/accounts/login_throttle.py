"""Throttling password guessing: sign-in attempts counted in the database.

Two counters per attempt, in fixed windows that restart once they lapse:
- the email from one client address (`per_client`): a guesser is stopped without
  locking the owner out of their own device;
- the email from anywhere (`per_account`, higher): guessing spread over many addresses
  is stopped too.

An attempt is counted *before* its password is checked, in one atomic upsert that
returns the new counts, so a burst of concurrent guesses cannot all slip in ahead of
their failures being recorded; a successful sign-in then takes its attempt back. A
refused attempt costs no argon2 time. Counts live in PostgreSQL (or SQLite), so every
API process behind the load balancer enforces the same limit. Keys are digests of the
normalised email (and address) whether or not an account exists, so a refusal tells
nothing about which emails are registered, and no address is stored in the clear.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.errors import RateLimited
from db.models import LoginFailure


@dataclass(frozen=True)
class LoginLimits:
    per_client: int = 10
    per_account: int = 50
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginKeys:
    client: str
    account: str

    @classmethod
    def of(cls, email: str, client_address: str | None) -> "LoginKeys":
        address = email.strip().lower()
        return cls(
            client=_digest(f"client\x00{address}\x00{client_address or 'unknown'}"),
            account=_digest(f"account\x00{address}"),
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


async def count_login_attempt(
    session: AsyncSession, *, keys: LoginKeys, limits: LoginLimits, now: datetime
) -> None:
    """Count one attempt on both keys; RATE_LIMITED when either is past its limit.

    Lapsed counters are pruned on the way (an indexed delete), so guesses spread over
    random emails cannot grow the table beyond one window's worth of keys.
    """
    lapsed_before = now - limits.window
    await session.exec(
        delete(LoginFailure).where(col(LoginFailure.window_started_at) <= lapsed_before)
    )
    for key, limit in ((keys.client, limits.per_client), (keys.account, limits.per_account)):
        attempts, window_started_at = await _increment(session, key=key, now=now)
        if attempts > limit:
            ends = window_started_at + limits.window
            seconds = max(1, math.ceil((ends - now).total_seconds()))
            raise RateLimited(
                f"too many failed sign-ins; try again in {math.ceil(seconds / 60)} minutes",
                retryAfterSeconds=seconds,
            )


async def _increment(session: AsyncSession, *, key: str, now: datetime) -> tuple[int, datetime]:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(LoginFailure).values(key=key, failures=1, window_started_at=now)
    # Pruning ran first in this transaction, so a row that still exists is in its window.
    upsert = insert.on_conflict_do_update(
        index_elements=[col(LoginFailure.key)],
        set_={"failures": col(LoginFailure.failures) + 1},
    ).returning(col(LoginFailure.failures), col(LoginFailure.window_started_at))
    attempts, window_started_at = (await session.exec(upsert)).one()
    return attempts, window_started_at


async def forgive_login_attempt(session: AsyncSession, *, keys: LoginKeys) -> None:
    """A successful sign-in clears its client's counter and takes back its account
    attempt (the rest of the account's count stays: a guesser elsewhere may be driving
    it)."""
    await session.exec(delete(LoginFailure).where(col(LoginFailure.key) == keys.client))
    await session.exec(
        update(LoginFailure)
        .where(col(LoginFailure.key) == keys.account, col(LoginFailure.failures) > 0)
        .values(failures=col(LoginFailure.failures) - 1)
    )
