"""Throttling password guessing and mass registration: attempts counted in the database.

Following OWASP's authentication guidance, a limit *slows* attempts down rather than
locking anyone out. Each key lets a number of attempts through freely; past that, each
further attempt must wait after the previous one, the wait doubling from `backoff` up
to the key's window, and a key left alone for its whole window starts over. A refused
attempt is not counted, so a client that waits as told always gets its next try.

Sign-in counts three keys:
- the email from one client address (`per_client`): a guesser slows down on their own
  device without touching the owner's;
- the client address, whatever the email (`per_address`): one address trying many
  accounts (credential stuffing) slows down;
- the email from anywhere (`per_account`): never refuses by itself (that would let
  anyone lock the owner out), but past it the account is treated as under attack and
  every address gets only one free attempt on it before its waits start. Guessing
  spread over many addresses is slowed to one guess per address per doubling wait,
  while the owner's first try from any address of theirs still goes through.
Registration counts one key per client address (`registrations_per_address`).

An attempt is counted *before* its password is checked, in one conditional UPDATE, so
a burst of concurrent guesses cannot all slip in ahead of their failures being
recorded; a successful sign-in then takes its attempt back. A refused attempt costs no
argon2 time. Counts live in PostgreSQL (or SQLite), so every API process behind the
load balancer enforces the same limits. Keys are digests of the normalised email (and
address) whether or not an account exists, so a refusal tells nothing about which
emails are registered, and no address is stored in the clear.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.errors import RateLimited
from db.models import LoginFailure
from db.types import UTCDateTime

# Free attempts per address on an account that is under attack (past `per_account`).
UNDER_ATTACK_ATTEMPTS_PER_CLIENT = 1


@dataclass(frozen=True)
class LoginLimits:
    """Sign-in and registration throttles (see the module docstring)."""

    per_client: int = 10
    per_account: int = 50
    per_address: int = 100
    window: timedelta = timedelta(minutes=15)
    backoff: timedelta = timedelta(seconds=1)
    registrations_per_address: int = 20
    registration_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Throttle:
    """One key's rule: `free` attempts, then waits doubling from `backoff` up to `window`."""

    free: int
    window: timedelta
    backoff: timedelta

    def wait_after(self, attempts: int) -> timedelta:
        """How long the attempt after `attempts` counted ones must wait after the last."""
        if attempts < self.free:
            return timedelta(0)
        doublings = min(attempts - self.free, 62)
        return min(self.window, self.backoff * 2**doublings)

    def doubling_steps(self) -> int:
        """Counts past `free` whose waits are still shorter than the window."""
        ratio = self.window / self.backoff if self.backoff > timedelta(0) else 1
        return max(1, min(40, math.ceil(math.log2(max(ratio, 1))) + 1))


@dataclass(frozen=True)
class LoginKeys:
    client: str
    address: str
    account: str

    @classmethod
    def of(cls, email: str, client_address: str | None) -> "LoginKeys":
        """Keys of an already normalised email (db/accounts/emails.py)."""
        address = client_address or "unknown"
        return cls(
            client=_digest(f"client\x00{email}\x00{address}"),
            address=_digest(f"address\x00{address}"),
            account=_digest(f"account\x00{email}"),
        )


def registration_key(client_address: str | None) -> str:
    return _digest(f"register\x00{client_address or 'unknown'}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


async def count_login_attempt(
    session: AsyncSession, *, keys: LoginKeys, limits: LoginLimits, now: datetime
) -> None:
    """Count one sign-in attempt; RATE_LIMITED (nothing counted) when it must wait."""
    await prune_lapsed_keys(session, limits=limits, now=now)
    await take_attempt(
        session,
        key=keys.address,
        throttle=Throttle(limits.per_address, limits.window, limits.backoff),
        now=now,
    )
    under_attack = await _count_of(session, keys.account, limits.window, now) >= limits.per_account
    per_client = UNDER_ATTACK_ATTEMPTS_PER_CLIENT if under_attack else limits.per_client
    await take_attempt(
        session,
        key=keys.client,
        throttle=Throttle(per_client, limits.window, limits.backoff),
        now=now,
    )
    await _count_attempt(session, key=keys.account, window=limits.window, now=now)


async def count_registration(
    session: AsyncSession, *, client_address: str | None, limits: LoginLimits, now: datetime
) -> None:
    """Count one registration from an address; RATE_LIMITED when it must wait."""
    await prune_lapsed_keys(session, limits=limits, now=now)
    throttle = Throttle(
        limits.registrations_per_address, limits.registration_window, limits.backoff
    )
    await take_attempt(session, key=registration_key(client_address), throttle=throttle, now=now)


async def prune_lapsed_keys(session: AsyncSession, *, limits: LoginLimits, now: datetime) -> None:
    """An indexed delete of keys quiet for the longest window, so guesses spread over
    random emails cannot grow the table beyond one window's worth of keys."""
    longest = max(limits.window, limits.registration_window)
    await session.exec(
        delete(LoginFailure).where(col(LoginFailure.last_attempt_at) <= now - longest)
    )


async def take_attempt(
    session: AsyncSession, *, key: str, throttle: Throttle, now: datetime
) -> None:
    """Count an attempt on `key` if its throttle lets it through now, else RATE_LIMITED.

    The check and the count are one UPDATE: of concurrent attempts, PostgreSQL re-checks
    each against the row the previous one committed (SQLite runs them one at a time).
    """
    await _ensure_row(session, key=key, now=now)
    lapsed_before = _moment(now - throttle.window)
    last = col(LoginFailure.last_attempt_at)
    failures = col(LoginFailure.failures)
    counted = await session.exec(
        update(LoginFailure)
        .where(
            col(LoginFailure.key) == key,
            (failures < throttle.free)
            | (last <= lapsed_before)
            | (last <= _latest_allowed(throttle, now)),
        )
        .values(
            failures=case((last <= lapsed_before, 1), else_=failures + 1),
            last_attempt_at=now,
        )
        .returning(failures)
    )
    if counted.first() is None:
        raise await _refusal(session, key=key, throttle=throttle, now=now)


def _latest_allowed(throttle: Throttle, now: datetime):
    """Per count already reached, the latest last attempt that lets the next through."""
    failures = col(LoginFailure.failures)
    steps = range(throttle.free, throttle.free + throttle.doubling_steps())
    whens = [(failures == count, _moment(now - throttle.wait_after(count))) for count in steps]
    return case(*whens, else_=_moment(now - throttle.window))


def _moment(value: datetime):
    return literal(value, UTCDateTime())


async def _count_attempt(
    session: AsyncSession, *, key: str, window: timedelta, now: datetime
) -> None:
    """Count an attempt that no limit refuses (a key quiet for its window starts over)."""
    last = col(LoginFailure.last_attempt_at)
    insert = _dialect(session).insert(LoginFailure).values(key=key, failures=1, last_attempt_at=now)
    await session.exec(
        insert.on_conflict_do_update(
            index_elements=[col(LoginFailure.key)],
            set_={
                "failures": case(
                    (last <= _moment(now - window), 1), else_=col(LoginFailure.failures) + 1
                ),
                "last_attempt_at": now,
            },
        )
    )


def _dialect(session: AsyncSession):
    # Imported here: the engine has already imported its own dialect, and the other
    # one is never needed (importing both cost ~0.1 s of every start-up).
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql
    from sqlalchemy.dialects import sqlite

    return sqlite


async def _ensure_row(session: AsyncSession, *, key: str, now: datetime) -> None:
    insert = _dialect(session).insert(LoginFailure).values(key=key, failures=0, last_attempt_at=now)
    await session.exec(insert.on_conflict_do_nothing(index_elements=[col(LoginFailure.key)]))


async def _refusal(
    session: AsyncSession, *, key: str, throttle: Throttle, now: datetime
) -> RateLimited:
    row = (
        await session.exec(
            select(LoginFailure.failures, LoginFailure.last_attempt_at).where(
                LoginFailure.key == key
            )
        )
    ).one()
    failures, last_attempt_at = row
    ready_at = last_attempt_at + throttle.wait_after(failures)
    seconds = max(1, math.ceil((ready_at - now).total_seconds()))
    return RateLimited(
        f"too many attempts; try again in {_spoken(seconds)}", retryAfterSeconds=seconds
    )


def _spoken(seconds: int) -> str:
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


async def _count_of(session: AsyncSession, key: str, window: timedelta, now: datetime) -> int:
    query = select(LoginFailure.failures).where(
        LoginFailure.key == key, col(LoginFailure.last_attempt_at) > now - window
    )
    return (await session.exec(query)).first() or 0


async def forgive_login_attempt(session: AsyncSession, *, keys: LoginKeys) -> None:
    """A successful sign-in clears its client's count and takes back its attempt on the
    address and the account (the rest stays: a guesser elsewhere may be driving it)."""
    await session.exec(delete(LoginFailure).where(col(LoginFailure.key) == keys.client))
    await session.exec(
        update(LoginFailure)
        .where(
            col(LoginFailure.key).in_([keys.address, keys.account]), col(LoginFailure.failures) > 0
        )
        .values(failures=col(LoginFailure.failures) - 1)
    )
