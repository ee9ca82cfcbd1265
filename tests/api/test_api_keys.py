"""Personal API keys over GraphQL and their checks, on both databases."""

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from db.accounts import api_keys
from db.errors import Unauthenticated
from db.models import ApiKey
from db.types import utcnow
from tests.factories import make_user

CREATE = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name prefix createdAt lastUsedAt expiresAt } }
}"""
LIST = "{ apiKeys { id name prefix } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { id } }"


async def _create(harness, user_id: int, **fields) -> dict:
    variables = {"input": {"name": "laptop", **fields}}
    return (await harness.data(CREATE, variables, user_id=user_id))["createApiKey"]


async def test_secret_is_shown_once_and_stored_only_as_its_hash(harness) -> None:
    learner = (await make_user(harness)).user
    created = await _create(harness, learner.id)
    secret = created["secret"]
    assert secret.startswith("sg-") and len(secret) >= 40
    assert secret.startswith(created["apiKey"]["prefix"])
    async with harness.session_factory() as session:
        row = (await session.exec(select(ApiKey))).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.prefix, row.secret_hash, row.name}
    listed = (await harness.data(LIST, user_id=learner.id))["apiKeys"]
    assert listed == [{k: created["apiKey"][k] for k in ("id", "name", "prefix")}]
    assert secret not in str(listed)


async def test_each_key_is_different_and_authenticates_its_owner(harness) -> None:
    learner = (await make_user(harness)).user
    first = (await _create(harness, learner.id))["secret"]
    second = (await _create(harness, learner.id))["secret"]
    assert first != second
    key = await api_keys.authenticate(harness.session_factory, first, now=utcnow())
    assert key.owner_id == learner.id and key.last_used_at is not None


async def test_expired_key_is_refused(harness) -> None:
    learner = (await make_user(harness)).user
    expires = utcnow() + timedelta(hours=1)
    secret = (await _create(harness, learner.id, expiresAt=expires.isoformat()))["secret"]
    await api_keys.authenticate(harness.session_factory, secret, now=utcnow())
    with pytest.raises(Unauthenticated, match="expired"):
        await api_keys.authenticate(
            harness.session_factory, secret, now=expires + timedelta(seconds=1)
        )


async def test_expiry_in_the_past_is_bad_input(harness) -> None:
    learner = (await make_user(harness)).user
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    result = await harness.execute(
        CREATE, {"input": {"name": "x", "expiresAt": past}}, user_id=learner.id
    )
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_revoked_key_is_refused_and_unlisted(harness) -> None:
    learner = (await make_user(harness)).user
    created = await _create(harness, learner.id)
    await harness.data(REVOKE, {"id": created["apiKey"]["id"]}, user_id=learner.id)
    with pytest.raises(Unauthenticated):
        await api_keys.authenticate(harness.session_factory, created["secret"], now=utcnow())
    assert (await harness.data(LIST, user_id=learner.id))["apiKeys"] == []


async def test_another_learners_keys_are_neither_listed_nor_revocable(harness) -> None:
    owner = (await make_user(harness)).user
    other = (await make_user(harness)).user
    created = await _create(harness, owner.id)
    assert (await harness.data(LIST, user_id=other.id))["apiKeys"] == []
    result = await harness.execute(REVOKE, {"id": created["apiKey"]["id"]}, user_id=other.id)
    assert result.errors[0].extensions["code"] == "NOT_FOUND"
    await api_keys.authenticate(harness.session_factory, created["secret"], now=utcnow())


async def test_keys_need_a_signed_in_learner(harness) -> None:
    result = await harness.execute(LIST)
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
