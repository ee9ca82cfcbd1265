"""Accounts: registration, login and rotating refresh tokens.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each use
rotates the token within its family. Presenting a token that was already rotated
means it leaked (or a client raced itself), so the whole family is revoked.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.emails import clean_email, normalise_email
from db.accounts.login_throttle import (
    LoginKeys,
    LoginLimits,
    count_login_attempt,
    count_registration,
    forgive_login_attempt,
)
from db.accounts.passwords import burn_verification_time, hash_password, verify_password
from db.accounts.tokens import TokenPolicy, issue_access_token
from db.engine import SessionFactory, unit_of_work
from db.errors import Conflict, Unauthenticated
from db.models import RefreshToken, User
from db.types import utcnow
from db.validation import check_password, clean_optional_text

_INVALID_LOGIN = "invalid email or password"
_INVALID_REFRESH = "invalid or expired refresh token"
# Says neither that the email is taken nor that it is free (see register_user).
_REGISTRATION_REFUSED = "cannot register with this email; if you have an account, sign in"


@dataclass(frozen=True)
class Credentials:
    """What a successful register, login or refresh hands the client."""

    user: User
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str


async def register_user(
    session_factory: SessionFactory,
    *,
    policy: TokenPolicy,
    email: str,
    password: str,
    display_name: str | None,
    client_address: str | None = None,
    limits: LoginLimits | None = None,
    now: datetime | None = None,
) -> Credentials:
    """Create an account and sign it in; CONFLICT when the email cannot be registered.

    With `limits` (every request; factories pass none), registrations are counted per
    client address first and slowed past the limit (db/accounts/login_throttle.py).
    A taken email is answered with a message that does not say so, after the same
    argon2 work a success costs; that a registration failed still tells the caller
    the email is in use (no API without email verification can hide it), so the
    per-address throttle is what bounds enumeration through this door.
    """
    email = clean_email(email)
    check_password(password)
    name = clean_optional_text(display_name, field="displayName", max_length=100)
    if limits is not None:
        async with unit_of_work(session_factory) as session:
            await count_registration(
                session, client_address=client_address, limits=limits, now=now or utcnow()
            )
    password_hash = await hash_password(password)
    try:
        async with unit_of_work(session_factory) as session:
            user = User(
                email=email, display_name=name or email.split("@")[0], password_hash=password_hash
            )
            session.add(user)
            await session.flush()
            return await _credentials(session, policy=policy, user=user)
    except IntegrityError as error:
        raise Conflict(_REGISTRATION_REFUSED, field="email") from error


async def login_user(
    session_factory: SessionFactory,
    *,
    policy: TokenPolicy,
    email: str,
    password: str,
    client_address: str | None = None,
    limits: LoginLimits | None = None,
    now: datetime | None = None,
) -> Credentials:
    """Check the password and sign in; one message for unknown email and wrong password.

    The attempt is counted first (db/accounts/login_throttle.py): past the limit it is
    RATE_LIMITED without a password check. The argon2 check (tens of milliseconds,
    64 MiB) runs with no database connection held, so a burst of logins cannot drain
    the pool other requests need.
    """
    address = normalise_email(email)
    keys = LoginKeys.of(address, client_address)
    limits = limits or LoginLimits()
    user = None
    async with unit_of_work(session_factory) as session:
        await count_login_attempt(session, keys=keys, limits=limits, now=now or utcnow())
    if "\x00" not in address:  # PostgreSQL refuses NUL in text; no account has one
        user = await _user_by_email(session_factory, address, legacy=email.strip().lower())
    if user is None:
        await burn_verification_time(password)
        raise Unauthenticated(_INVALID_LOGIN)
    if not await verify_password(user.password_hash, password):
        raise Unauthenticated(_INVALID_LOGIN)
    async with unit_of_work(session_factory) as session:
        await forgive_login_attempt(session, keys=keys)
        return await _credentials(session, policy=policy, user=user)


async def _user_by_email(
    session_factory: SessionFactory, email: str, *, legacy: str
) -> User | None:
    """The account stored under the spelling as typed (lower-cased, as emails were stored
    before migration 0010, which kept that spelling where the normalised one already
    belonged to another account), else the one under the normalised email."""
    async with session_factory() as session:
        found = (await session.exec(select(User).where(User.email.in_({email, legacy})))).all()
    by_email = {user.email: user for user in found}
    return by_email.get(legacy) or by_email.get(email)


async def rotate_refresh_token(
    session_factory: SessionFactory, *, policy: TokenPolicy, refresh_token: str
) -> Credentials:
    """Trade a refresh token for new credentials; reuse of a rotated one revokes its family."""
    now = utcnow()
    async with unit_of_work(session_factory) as session:
        stored = await _find_refresh_token(session, refresh_token)
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise Unauthenticated(_INVALID_REFRESH)
        # Claim the token atomically: of two concurrent uses only one can win.
        claimed = await session.exec(
            update(RefreshToken)
            .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount == 1:
            user = await session.get(User, stored.user_id)
            return await _credentials(session, policy=policy, user=user, family_id=stored.family_id)
        family_id = stored.family_id
    # Reached only on reuse: revoke in a transaction of its own, so the revocation
    # is committed even though the request fails.
    await revoke_refresh_token_family(session_factory, family_id=family_id)
    raise Unauthenticated(_INVALID_REFRESH)


async def logout_refresh_token(
    session_factory: SessionFactory, *, user_id: int, refresh_token: str
) -> bool:
    """Revoke the family of one of the user's refresh tokens; False if it is not theirs."""
    async with unit_of_work(session_factory) as session:
        stored = await _find_refresh_token(session, refresh_token)
        if stored is None or stored.user_id != user_id or stored.revoked_at is not None:
            return False
        family_id = stored.family_id
    await revoke_refresh_token_family(session_factory, family_id=family_id)
    return True


async def revoke_refresh_token_family(session_factory: SessionFactory, *, family_id: str) -> None:
    """Revoke every token of one sign-in's rotation chain."""
    async with unit_of_work(session_factory) as session:
        await session.exec(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


class UserRecord(NamedTuple):
    """A user as shown: the User's columns but its password hash, without ORM tracking."""

    id: int
    email: str
    display_name: str
    timezone: str
    created_at: datetime


_users = User.__table__.c
# Built once: SQLAlchemy then reuses its compiled form and cache key on every read.
_USERS_BY_IDS = select_columns(
    _users.id, _users.email, _users.display_name, _users.timezone, _users.created_at
).where(_users.id.in_(bindparam("user_ids", expanding=True)))


async def get_users_by_ids(
    connection: AsyncConnection, *, user_ids: list[int]
) -> dict[int, UserRecord]:
    """Users by id, for the DataLoader: a Core read (no ORM session), and no hashes in
    what a request keeps (bench/dashboard.py: `me` is one of its hottest reads)."""
    rows = await connection.execute(_USERS_BY_IDS, {"user_ids": user_ids})
    return {row[0]: UserRecord(*row) for row in rows}


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _find_refresh_token(session: AsyncSession, token: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
    return (await session.exec(query)).first()


async def _credentials(
    session: AsyncSession, *, policy: TokenPolicy, user: User, family_id: str | None = None
) -> Credentials:
    now = utcnow()
    refresh_token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4().hex,
            token_hash=hash_refresh_token(refresh_token),
            created_at=now,
            expires_at=now + policy.refresh_ttl,
        )
    )
    access_token, expires_at = issue_access_token(policy, user_id=user.id, now=now)
    return Credentials(user, access_token, expires_at, refresh_token)
