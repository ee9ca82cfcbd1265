"""argon2id password hashing, run in worker threads so the event loop never blocks."""

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's low-memory profile of argon2id
# (t=3, m=64 MiB, p=4): strong, and bounded in memory per concurrent login.
_hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    """An argon2id hash of the password (PHC string with salt and parameters)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a wrong password."""
    return await asyncio.to_thread(_verify, password_hash, password)


async def burn_verification_time(password: str) -> None:
    """Spend what a real check costs, so an unknown email takes as long as a wrong password."""
    # The dummy hash is made once per process, off the loop like every other hash.
    await verify_password(await asyncio.to_thread(_dummy_hash), password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("studygraph: no such user")
