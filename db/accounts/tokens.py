"""Short-lived JWT access tokens: HS256 only, every claim required and checked."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from db.errors import Unauthenticated
from db.types import utcnow

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud", "typ"]
ACCESS_TOKEN_TYPE = "access"


@dataclass(frozen=True)
class TokenPolicy:
    """What the API's settings decide about tokens, as plain values."""

    secret: str
    issuer: str = "studygraph"
    audience: str = "studygraph-api"
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)
    # Tolerated clock skew between API processes.
    leeway: timedelta = timedelta(seconds=10)


def issue_access_token(
    policy: TokenPolicy, *, user_id: int, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed access token for the user and the moment it expires."""
    issued_at = now or utcnow()
    expires_at = issued_at + policy.access_ttl
    claims = {
        "sub": str(user_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
        "iss": policy.issuer,
        "aud": policy.audience,
        "typ": ACCESS_TOKEN_TYPE,
    }
    return _jwt().encode(claims, policy.secret, algorithm=ALGORITHM), expires_at.replace(
        microsecond=0
    )


@dataclass(frozen=True)
class AccessGrant:
    """Who a valid access token speaks for, and until when."""

    user_id: int
    expires_at: datetime


def verify_access_token(policy: TokenPolicy, token: str) -> int:
    """The user id inside a valid access token, else Unauthenticated."""
    return decode_access_token(policy, token).user_id


# Verified tokens kept per process: a client sends the same token with every request
# for up to 15 minutes, and checking its signature and claims cost ~80 us each time
# (bench/topics_rate.py). Only valid tokens are kept; a hit still checks expiry.
VERIFIED_TOKENS_CACHED = 4096


def decode_access_token(policy: TokenPolicy, token: str) -> AccessGrant:
    """The grant of a valid access token, else Unauthenticated.

    The algorithm list is pinned: a token signed with "none" or RS256 is refused.
    """
    grant = _verified_grant(policy, token)
    if datetime.now(UTC) > grant.expires_at + policy.leeway:
        raise Unauthenticated("access token expired")
    return grant


@lru_cache(maxsize=VERIFIED_TOKENS_CACHED)
def _verified_grant(policy: TokenPolicy, token: str) -> AccessGrant:
    # Raises for an invalid token, and lru_cache keeps no exceptions: only grants of
    # tokens whose signature, issuer, audience, type and times all checked out.
    jwt = _jwt()
    try:
        claims = jwt.decode(
            token,
            policy.secret,
            algorithms=[ALGORITHM],
            audience=policy.audience,
            issuer=policy.issuer,
            leeway=policy.leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("access token expired") from error
    except jwt.PyJWTError as error:
        raise Unauthenticated("invalid access token") from error
    if claims.get("typ") != ACCESS_TOKEN_TYPE:
        raise Unauthenticated("invalid access token")
    try:
        user_id = int(claims["sub"])
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (TypeError, ValueError, OverflowError) as error:
        raise Unauthenticated("invalid access token") from error
    return AccessGrant(user_id=user_id, expires_at=expires_at)


def bearer_token(header_value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None if absent."""
    if not header_value:
        return None
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <accessToken>'")
    return token.strip()


def _jwt():
    """PyJWT, imported at first use: it imports `cryptography` (~0.2 s) whether or not
    HS256 needs it, and `import api.app` must stay quick for uvicorn's worker health
    check. The app's start-up imports it before the first request (api/services.py)."""
    import jwt

    return jwt
