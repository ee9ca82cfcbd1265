"""Accounts: register, login, rotating refresh tokens, logout, me."""

import asyncio
import threading
import time
import uuid
from datetime import datetime

import jwt
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from db.accounts import passwords
from db.accounts.tokens import REQUIRED_CLAIMS, TokenPolicy, issue_access_token, verify_access_token
from db.accounts.users import read_users_by_ids
from db.engine import read_connection
from db.errors import Unauthenticated
from db.models import RefreshToken, User
from tests.factories import PASSWORD, make_user, unique_email
from tests.harness import TEST_JWT_SECRET

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken accessTokenExpiresAt user { id email displayName createdAt }
  }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken user { email } }
}"""
REFRESH = """
mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }"""


def code_of(result) -> str:
    assert result.errors, "expected an error"
    return result.errors[0].extensions["code"]


async def test_register_returns_tokens_and_stores_an_argon2id_hash(harness):
    email = unique_email()
    payload = (
        await harness.data(
            REGISTER, {"input": {"email": f"  {email.upper()} ", "password": PASSWORD}}
        )
    )["register"]
    assert payload["user"]["email"] == email
    assert payload["user"]["displayName"] == email.split("@")[0]
    assert verify_access_token(harness.policy, payload["accessToken"]) > 0
    async with harness.session_factory() as session:
        stored = (await session.exec(select(User).where(User.email == email))).one()
        tokens = (await session.exec(select(RefreshToken))).all()
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)
    # Only the hash of the refresh token is kept.
    assert [token.token_hash for token in tokens] != [payload["refreshToken"]]
    assert all(len(token.token_hash) == 64 for token in tokens)


async def test_register_rejects_taken_email_and_bad_input(harness):
    email = unique_email()
    await harness.data(REGISTER, {"input": {"email": email, "password": PASSWORD}})
    again = await harness.execute(
        REGISTER, {"input": {"email": email.upper(), "password": PASSWORD}}
    )
    assert code_of(again) == "CONFLICT"
    short = await harness.execute(
        REGISTER, {"input": {"email": unique_email(), "password": "short"}}
    )
    assert short.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "password"}
    not_email = await harness.execute(
        REGISTER, {"input": {"email": "nobody", "password": PASSWORD}}
    )
    assert not_email.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "email"}


async def test_login_checks_the_password_and_hides_which_part_was_wrong(harness):
    me = await make_user(harness)
    ok = await harness.data(LOGIN, {"email": me.user.email, "password": PASSWORD})
    assert ok["login"]["user"]["email"] == me.user.email
    wrong = await harness.execute(LOGIN, {"email": me.user.email, "password": "not the password"})
    unknown = await harness.execute(LOGIN, {"email": unique_email(), "password": PASSWORD})
    assert code_of(wrong) == code_of(unknown) == "UNAUTHENTICATED"
    assert wrong.errors[0].message == unknown.errors[0].message


async def test_hashing_runs_off_the_event_loop(harness, monkeypatch):
    # argon2id takes tens of milliseconds per hash: on the event loop it would stall every
    # other request. Recorded per call rather than by a heartbeat's tick rate, which a busy
    # CI machine can starve either way.
    me = await make_user(harness)
    threads: list[int] = []

    class RecordingHasher(PasswordHasher):
        def verify(self, hash, password):
            threads.append(threading.get_ident())
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", RecordingHasher())
    await asyncio.gather(
        *(harness.data(LOGIN, {"email": me.user.email, "password": PASSWORD}) for _ in range(3))
    )
    assert len(threads) == 3
    assert threading.get_ident() not in threads


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(harness):
    me = await make_user(harness)
    first = me.refresh_token
    second = (await harness.data(REFRESH, {"token": first}))["refreshToken"]
    assert second["refreshToken"] != first
    assert verify_access_token(harness.policy, second["accessToken"]) == me.user.id
    # The rotated token is spent: presenting it again is reuse...
    reuse = await harness.execute(REFRESH, {"token": first})
    assert code_of(reuse) == "UNAUTHENTICATED"
    # ...which revoked the family, so even the newest token no longer works.
    after = await harness.execute(REFRESH, {"token": second["refreshToken"]})
    assert code_of(after) == "UNAUTHENTICATED"
    # Another sign-in of the same user is a different family and still works.
    other = await harness.data(LOGIN, {"email": me.user.email, "password": PASSWORD})
    assert await harness.data(REFRESH, {"token": other["login"]["refreshToken"]})


async def test_concurrent_refreshes_with_one_token_let_at_most_one_win(harness):
    me = await make_user(harness)
    results = await asyncio.gather(
        *(harness.execute(REFRESH, {"token": me.refresh_token}) for _ in range(4))
    )
    winners = [result for result in results if result.errors is None]
    assert len(winners) <= 1
    assert all(code_of(result) == "UNAUTHENTICATED" for result in results if result.errors)


async def test_unknown_and_expired_refresh_tokens_fail(harness):
    assert code_of(await harness.execute(REFRESH, {"token": "made-up"})) == "UNAUTHENTICATED"
    me = await make_user(harness)
    async with harness.session_factory() as session, session.begin():
        for token in (await session.exec(select(RefreshToken))).all():
            token.expires_at = token.created_at
            session.add(token)
    assert code_of(await harness.execute(REFRESH, {"token": me.refresh_token})) == "UNAUTHENTICATED"


async def test_logout_revokes_only_the_callers_token(harness):
    me = await make_user(harness)
    other = await make_user(harness)
    logout = "mutation($token: String!) { logout(refreshToken: $token) }"
    # Somebody else's token: not theirs to revoke.
    assert (await harness.data(logout, {"token": other.refresh_token}, user_id=me.user.id)) == {
        "logout": False
    }
    assert (await harness.data(logout, {"token": me.refresh_token}, user_id=me.user.id)) == {
        "logout": True
    }
    assert code_of(await harness.execute(REFRESH, {"token": me.refresh_token})) == "UNAUTHENTICATED"
    assert (await harness.data(REFRESH, {"token": other.refresh_token}))["refreshToken"]
    # Logging out needs a signed-in caller.
    assert code_of(await harness.execute(logout, {"token": other.refresh_token})) == (
        "UNAUTHENTICATED"
    )


async def test_me_needs_a_user(harness):
    me = await make_user(harness)
    data = await harness.data("{ me { id email } }", user_id=me.user.id)
    assert data["me"]["email"] == me.user.email
    assert code_of(await harness.execute("{ me { id } }")) == "UNAUTHENTICATED"


async def test_users_read_for_display_carry_no_password_hash(harness):
    first, second = await make_user(harness), await make_user(harness)
    async with read_connection(harness.session_factory) as connection:
        users = await read_users_by_ids(
            connection, user_ids=[second.user.id, first.user.id, 2**31 - 1]
        )
    assert set(users) == {first.user.id, second.user.id}  # an unknown id is simply absent
    record = users[first.user.id]
    assert (record.email, record.display_name, record.timezone) == (
        first.user.email,
        first.user.display_name,
        first.user.timezone,
    )
    assert record.created_at == first.user.created_at
    assert "password_hash" not in record._fields
    # What `me` answers is that record.
    data = await harness.data("{ me { email displayName timezone } }", user_id=second.user.id)
    assert data["me"] == {
        "email": second.user.email,
        "displayName": second.user.display_name,
        "timezone": second.user.timezone,
    }


class TestAccessTokens:
    """The JWT rules, without a database."""

    policy = TokenPolicy(secret=TEST_JWT_SECRET)

    def claims(self, **changes):
        now = int(time.time())
        claims = {
            "sub": "7",
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
            "iss": self.policy.issuer,
            "aud": self.policy.audience,
            "typ": "access",
        }
        claims.update(changes)
        return {key: value for key, value in claims.items() if value is not None}

    def test_round_trip_and_lifetime(self):
        token, expires_at = issue_access_token(self.policy, user_id=7)
        assert verify_access_token(self.policy, token) == 7
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 15 * 60
        assert set(REQUIRED_CLAIMS) <= set(claims)
        assert int(expires_at.timestamp()) == claims["exp"]

    @pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
    def test_every_claim_is_required(self, missing):
        token = jwt.encode(self.claims(**{missing: None}), TEST_JWT_SECRET, algorithm="HS256")
        with pytest.raises(Unauthenticated):
            verify_access_token(self.policy, token)

    @pytest.mark.parametrize(
        "changes",
        [
            {"exp": int(time.time()) - 3600},
            {"iss": "someone-else"},
            {"aud": "another-api"},
            {"typ": "refresh"},
            {"sub": "not-a-number"},
        ],
        ids=["expired", "issuer", "audience", "type", "subject"],
    )
    def test_wrong_claims_are_refused(self, changes):
        token = jwt.encode(self.claims(**changes), TEST_JWT_SECRET, algorithm="HS256")
        with pytest.raises(Unauthenticated):
            verify_access_token(self.policy, token)

    def test_a_token_checked_once_still_expires(self, monkeypatch):
        # Verified tokens are kept per process; a kept one must not outlive its exp.
        now = int(time.time())
        token = jwt.encode(self.claims(exp=now + 60), TEST_JWT_SECRET, algorithm="HS256")
        assert verify_access_token(self.policy, token) == 7
        later = now + 60 + self.policy.leeway.total_seconds() + 1
        monkeypatch.setattr(
            "db.accounts.tokens.datetime",
            type(
                "Later",
                (datetime,),
                {"now": classmethod(lambda cls, tz=None: datetime.fromtimestamp(later, tz))},
            ),
        )
        with pytest.raises(Unauthenticated, match="expired"):
            verify_access_token(self.policy, token)

    def test_a_token_signed_by_another_policy_is_not_taken_from_the_cache(self):
        token, _ = issue_access_token(self.policy, user_id=7)
        assert verify_access_token(self.policy, token) == 7
        other = TokenPolicy(secret="another-secret-of-sufficient-length-0123456789")
        with pytest.raises(Unauthenticated):
            verify_access_token(other, token)

    # Signing HS512 with our key is the attack under test; PyJWT warns about its length.
    @pytest.mark.filterwarnings("ignore:The HMAC key")
    def test_algorithm_is_pinned(self):
        unsigned = jwt.encode(self.claims(), None, algorithm="none")
        hs512 = jwt.encode(self.claims(), TEST_JWT_SECRET, algorithm="HS512")
        forged = jwt.encode(self.claims(), "another-secret-of-sufficient-length!!", "HS256")
        for token in (unsigned, hs512, forged, "garbage"):
            with pytest.raises(Unauthenticated):
                verify_access_token(self.policy, token)


async def test_nul_characters_are_input_errors_not_server_errors(harness):
    register = await harness.execute(
        REGISTER, {"input": {"email": "a\x00b@example.com", "password": PASSWORD}}
    )
    assert code_of(register) == "BAD_USER_INPUT"
    login = await harness.execute(LOGIN, {"email": "a\x00b@example.com", "password": PASSWORD})
    assert code_of(login) == "UNAUTHENTICATED"


async def test_login_holds_no_connection_while_hashing(harness, monkeypatch):
    # The pool is what other requests wait for; argon2 must not sit on it.
    import db.accounts.users as accounts_module

    me = await make_user(harness)
    checked_out = []
    real_verify = accounts_module.verify_password

    async def observing_verify(password_hash, password):
        checked_out.append(harness.engine.pool.checkedout())
        return await real_verify(password_hash, password)

    monkeypatch.setattr(accounts_module, "verify_password", observing_verify)
    await harness.data(LOGIN, {"email": me.user.email, "password": PASSWORD})
    assert checked_out == [0]
