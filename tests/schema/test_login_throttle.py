"""Password guessing slows down per email and client, per client, and on an account
under attack, without ever locking the owner out."""

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
HOUR = timedelta(hours=1)


async def login(harness, email: str, password: str, *, address: str | None = "192.0.2.1"):
    """The login result as seen from one client address."""
    context = harness.context()
    context.request = SimpleNamespace(client=SimpleNamespace(host=address))
    return await harness.schema.execute(
        LOGIN, variable_values={"email": email, "password": password}, context_value=context
    )


def code_of(result) -> str | None:
    return result.errors[0].extensions["code"] if result.errors else None


def retry_after(result) -> int:
    assert code_of(result) == "RATE_LIMITED", result.errors
    return result.errors[0].extensions["retryAfterSeconds"]


def frozen_clock(harness):
    """Fixes the harness's "now"; returns a function that moves it forward."""
    moment = [utcnow()]
    harness.clock = lambda: moment[0]

    def advance(**delta) -> None:
        moment[0] += timedelta(**delta)

    return advance


async def test_a_guesser_slows_down_before_the_password_is_checked(harness):
    harness.login_limits = LoginLimits(per_client=3, per_account=50)
    advance = frozen_clock(harness)
    me = await make_user(harness)
    for _ in range(3):
        assert code_of(await login(harness, me.user.email, WRONG)) == "UNAUTHENTICATED"
    # Even the right password waits now, so the guesser learns nothing more.
    refused = await login(harness, me.user.email, PASSWORD)
    assert retry_after(refused) == 1
    assert "try again in 1 second" in refused.errors[0].message
    # The owner, on another device, is not slowed by someone else's guessing.
    assert code_of(await login(harness, me.user.email, PASSWORD, address="198.51.100.7")) is None
    # Each further guess waits twice as long as the one before.
    waits = []
    for _ in range(4):
        waits.append(retry_after(await login(harness, me.user.email, WRONG)))
        advance(seconds=waits[-1])
        assert code_of(await login(harness, me.user.email, WRONG)) == "UNAUTHENTICATED"
    assert waits == [1, 2, 4, 8]


async def test_waiting_as_told_always_gets_the_next_try(harness):
    # A refused attempt is not counted: asking again while waiting does not push the
    # wait further out, so nobody is locked out by retrying.
    harness.login_limits = LoginLimits(per_client=1, per_account=50, backoff=timedelta(seconds=60))
    advance = frozen_clock(harness)
    me = await make_user(harness)
    await login(harness, me.user.email, WRONG)
    for _ in range(5):
        assert retry_after(await login(harness, me.user.email, PASSWORD)) == 60
    advance(seconds=60)
    assert code_of(await login(harness, me.user.email, PASSWORD)) is None


async def test_waits_stop_growing_at_the_window_and_then_start_over(harness):
    harness.login_limits = LoginLimits(per_client=2, per_account=50)
    advance = frozen_clock(harness)
    me = await make_user(harness)
    for _ in range(2):
        await login(harness, me.user.email, WRONG)
    waits = []
    while len(waits) < 20 and (not waits or waits[-1] < 15 * 60):
        waits.append(retry_after(await login(harness, me.user.email, WRONG)))
        advance(seconds=waits[-1])
        assert code_of(await login(harness, me.user.email, WRONG)) == "UNAUTHENTICATED"
    assert waits == [2**n for n in range(10)] + [15 * 60]
    # The longest wait is a whole window since the last attempt: the count started over.
    assert code_of(await login(harness, me.user.email, WRONG)) == "UNAUTHENTICATED"
    assert retry_after(await login(harness, me.user.email, WRONG)) == 1


async def test_a_successful_sign_in_forgives_that_clients_mistakes(harness):
    harness.login_limits = LoginLimits(per_client=3, per_account=50)
    me = await make_user(harness)
    for _ in range(3):
        await login(harness, me.user.email, WRONG)
        await login(harness, me.user.email, WRONG)
        assert code_of(await login(harness, me.user.email, PASSWORD)) is None


async def test_guessing_from_many_addresses_does_not_lock_the_owner_out(harness):
    # 50 failures from 5 addresses used to lock the account for 15 minutes, for the
    # right password from any address: a lockout anyone could cause.
    harness.login_limits = LoginLimits(per_client=10, per_account=50, backoff=HOUR)
    frozen_clock(harness)
    me = await make_user(harness)
    for number in range(5):
        for _ in range(10):
            result = await login(harness, me.user.email, WRONG, address=f"203.0.113.{number}")
            assert code_of(result) == "UNAUTHENTICATED"
    owner = await login(harness, me.user.email, PASSWORD, address="198.51.100.20")
    assert code_of(owner) is None
    # The account is under attack now: a new address gets one free guess, then waits.
    newcomer = "198.51.100.30"
    assert (
        code_of(await login(harness, me.user.email, WRONG, address=newcomer)) == "UNAUTHENTICATED"
    )
    assert retry_after(await login(harness, me.user.email, WRONG, address=newcomer)) == 15 * 60
    # And the guessing addresses wait, whatever password they send.
    assert code_of(await login(harness, me.user.email, PASSWORD, address="203.0.113.0")) == (
        "RATE_LIMITED"
    )


async def test_one_address_trying_many_accounts_slows_down(harness):
    harness.login_limits = LoginLimits(per_client=10, per_address=5, backoff=HOUR)
    frozen_clock(harness)
    victims = [await make_user(harness) for _ in range(6)]
    for victim in victims[:5]:
        assert code_of(await login(harness, victim.user.email, WRONG)) == "UNAUTHENTICATED"
    assert retry_after(await login(harness, victims[5].user.email, PASSWORD)) == 15 * 60
    elsewhere = await login(harness, victims[5].user.email, PASSWORD, address="198.51.100.9")
    assert code_of(elsewhere) is None


async def test_an_unknown_email_is_throttled_the_same_way(harness):
    # Nothing in the answers tells a registered email from an unknown one.
    harness.login_limits = LoginLimits(per_client=2, per_account=50)
    frozen_clock(harness)
    nobody = unique_email()
    codes = [code_of(await login(harness, nobody, WRONG)) for _ in range(3)]
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_lookalike_spellings_of_an_email_share_its_counts(harness):
    harness.login_limits = LoginLimits(per_client=2, per_account=50, backoff=HOUR)
    frozen_clock(harness)
    me = await make_user(harness, email="ada.throttle@example.com")
    await login(harness, "ADA.THROTTLE@example.com", WRONG)
    await login(harness, "\uff41\uff44\uff41.throttle@example.com", WRONG)  # fullwidth "ada"
    assert code_of(await login(harness, me.user.email, PASSWORD)) == "RATE_LIMITED"


async def test_concurrent_guesses_cannot_slip_past_the_limit(harness):
    harness.login_limits = LoginLimits(per_client=4, per_account=50, backoff=HOUR)
    me = await make_user(harness)
    results = await asyncio.gather(*(login(harness, me.user.email, WRONG) for _ in range(12)))
    codes = [code_of(result) for result in results]
    # Each attempt is counted before its password is checked: at most 4 got a check.
    assert codes.count("UNAUTHENTICATED") == 4
    assert codes.count("RATE_LIMITED") == 8


async def test_the_limits_come_from_settings_over_http(settings):
    app = create_app(
        settings.model_copy(
            update={"login_attempts_per_client": 2, "login_backoff_seconds": 3600.0}
        )
    )
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
            errors = []
            for _ in range(3):
                response = await http.post(
                    "/graphql",
                    json={"query": LOGIN, "variables": {"email": email, "password": WRONG}},
                )
                errors.append(response.json()["errors"][0])
    assert [error["extensions"]["code"] for error in errors] == [
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "RATE_LIMITED",
    ]
    assert errors[2]["extensions"]["retryAfterSeconds"] == 15 * 60
