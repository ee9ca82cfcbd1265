"""Password guessing is throttled per email and client, and per email from anywhere."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import httpx

from api.app import create_app
from db.accounts.login_throttle import LoginLimits
from db.types import utcnow
from tests.factories import PASSWORD, make_user, unique_email

LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""
WRONG = "not-the-password-at-all"


async def login(harness, email: str, password: str, *, address: str | None = "192.0.2.1"):
    """The login result as seen from one client address."""
    context = harness.context()
    context.request = SimpleNamespace(client=SimpleNamespace(host=address))
    return await harness.schema.execute(
        LOGIN, variable_values={"email": email, "password": password}, context_value=context
    )


def code_of(result) -> str | None:
    return result.errors[0].extensions["code"] if result.errors else None


async def test_a_guesser_is_stopped_before_the_password_is_checked(harness):
    harness.login_limits = LoginLimits(per_client=3, per_account=50)
    me = await make_user(harness)
    for _ in range(3):
        assert code_of(await login(harness, me.user.email, WRONG)) == "UNAUTHENTICATED"
    # Even the right password is refused now, so the guesser learns nothing more.
    refused = await login(harness, me.user.email, PASSWORD)
    assert code_of(refused) == "RATE_LIMITED"
    assert 0 < refused.errors[0].extensions["retryAfterSeconds"] <= 15 * 60
    assert "try again in 15 minutes" in refused.errors[0].message
    # The owner, on another device, is not locked out by someone else's guessing.
    assert code_of(await login(harness, me.user.email, PASSWORD, address="198.51.100.7")) is None


async def test_the_window_lapses_and_sign_in_works_again(harness):
    harness.login_limits = LoginLimits(per_client=2, per_account=50)
    start = utcnow()
    harness.clock = lambda: start
    me = await make_user(harness)
    for _ in range(2):
        await login(harness, me.user.email, WRONG)
    assert code_of(await login(harness, me.user.email, PASSWORD)) == "RATE_LIMITED"
    harness.clock = lambda: start + timedelta(minutes=15, seconds=1)
    assert code_of(await login(harness, me.user.email, PASSWORD)) is None


async def test_a_successful_sign_in_forgives_that_clients_mistakes(harness):
    harness.login_limits = LoginLimits(per_client=3, per_account=50)
    me = await make_user(harness)
    for _ in range(3):
        await login(harness, me.user.email, WRONG)
        await login(harness, me.user.email, WRONG)
        assert code_of(await login(harness, me.user.email, PASSWORD)) is None


async def test_guessing_from_many_addresses_hits_the_account_limit(harness):
    harness.login_limits = LoginLimits(per_client=3, per_account=5)
    me = await make_user(harness)
    for number in range(5):
        result = await login(harness, me.user.email, WRONG, address=f"203.0.113.{number}")
        assert code_of(result) == "UNAUTHENTICATED"
    fresh_address = await login(harness, me.user.email, PASSWORD, address="203.0.113.200")
    assert code_of(fresh_address) == "RATE_LIMITED"


async def test_an_unknown_email_is_throttled_the_same_way(harness):
    # Nothing in the answers tells a registered email from an unknown one.
    harness.login_limits = LoginLimits(per_client=2, per_account=50)
    nobody = unique_email()
    codes = [code_of(await login(harness, nobody, WRONG)) for _ in range(3)]
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_concurrent_guesses_cannot_slip_past_the_limit(harness):
    harness.login_limits = LoginLimits(per_client=4, per_account=50)
    me = await make_user(harness)
    results = await asyncio.gather(*(login(harness, me.user.email, WRONG) for _ in range(12)))
    codes = [code_of(result) for result in results]
    # Each attempt is counted before its password is checked: at most 4 got a check.
    assert codes.count("UNAUTHENTICATED") == 4
    assert codes.count("RATE_LIMITED") == 8


async def test_the_limits_come_from_settings_over_http(settings):
    app = create_app(settings.model_copy(update={"login_attempts_per_client": 2}))
    email = unique_email()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("192.0.2.44", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            registered = await http.post(
                "/graphql",
                json={
                    "query": "mutation($e: String!, $p: String!) { register(input: "
                    "{email: $e, password: $p}) { accessToken } }",
                    "variables": {"e": email, "p": PASSWORD},
                },
            )
            assert registered.json().get("errors") is None, registered.json()
            codes = []
            for _ in range(3):
                response = await http.post(
                    "/graphql",
                    json={"query": LOGIN, "variables": {"email": email, "password": WRONG}},
                )
                codes.append(response.json()["errors"][0]["extensions"]["code"])
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]
