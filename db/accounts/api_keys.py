"""Personal API keys: created with a secret shown once, stored as its hash, revocable.

A key is 256 random bits (`sg-` + URL-safe base64). Being that random, SHA-256 of it is
a safe verifier: nothing can be guessed from the hash, so no slow, salted hash (as for
passwords) is needed, and a lookup is one indexed equality.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import SessionFactory, unit_of_work
from db.errors import BadUserInput, NotFound, Unauthenticated
from db.models import ApiKey
from db.validation import clean_text

KEY_PREFIX = "sg-"
SHOWN_PREFIX_CHARS = 10
NAME_MAX = 100
MAX_KEYS_PER_USER = 50
# A used key's last_used_at is written at most this often (not one write per request).
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    # The whole secret: returned once, never stored.
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession, *, owner_id: int, name: str, expires_at: datetime | None, now: datetime
) -> CreatedKey:
    """A new key for the owner; the secret is in the result and nowhere else."""
    clean_name = clean_text(name, field="name", max_length=NAME_MAX)
    if expires_at is not None and expires_at <= now:
        raise BadUserInput("expiresAt must be in the future", field="expiresAt")
    if len(await list_api_keys(session, owner_id=owner_id)) >= MAX_KEYS_PER_USER:
        raise BadUserInput(
            f"at most {MAX_KEYS_PER_USER} keys per learner; revoke one first", field="name"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        owner_id=owner_id,
        name=clean_name,
        prefix=secret[:SHOWN_PREFIX_CHARS],
        secret_hash=hash_secret(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return CreatedKey(row=row, secret=secret)


async def list_api_keys(session: AsyncSession, *, owner_id: int) -> list[ApiKey]:
    """The owner's keys that are not revoked, newest first."""
    rows = await session.exec(
        select(ApiKey)
        .where(ApiKey.owner_id == owner_id, col(ApiKey.revoked_at).is_(None))
        .order_by(col(ApiKey.id).desc())
    )
    return list(rows)


async def revoke_api_key(
    session: AsyncSession, *, owner_id: int, key_id: int, now: datetime
) -> ApiKey:
    """Revokes the owner's key (revoking twice changes nothing); another's is NOT_FOUND."""
    row = await session.get(ApiKey, key_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound("ApiKey")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        await session.flush()
    return row


async def authenticate(session_factory: SessionFactory, secret: str, *, now: datetime) -> ApiKey:
    """The live key with this secret, or UNAUTHENTICATED (unknown, revoked, expired)."""
    if not secret.startswith(KEY_PREFIX):
        raise Unauthenticated("invalid API key")
    async with unit_of_work(session_factory) as session:
        row = (
            await session.exec(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret)))
        ).first()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("invalid API key")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthenticated("this API key has expired")
        last = row.last_used_at
        if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
            row.last_used_at = now
            session.add(row)
        return row
