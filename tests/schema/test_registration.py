"""Registration: one account per normalised email, no look-alikes, throttled per address,
and a taken email is not announced."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from db.accounts.login_throttle import LoginLimits
from db.types import utcnow
from tests.factories import PASSWORD, make_user, unique_email

REGISTER = """
mutation($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken user { email } }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { email } }
}"""


async def run(harness, query: str, email: str, *, address: str = "192.0.2.10", password=PASSWORD):
    context = harness.context()
    context.request = SimpleNamespace(client=SimpleNamespace(host=address))
    return await harness.schema.execute(
        query, variable_values={"email": email, "password": password}, context_value=context
    )


def code_of(result) -> str | None:
    return result.errors[0].extensions["code"] if result.errors else None


def fullwidth(text: str) -> str:
    """The fullwidth form of printable ASCII (U+FF01..U+FF5E), as an IME may type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def test_fullwidth_and_upper_case_spellings_are_the_same_account(harness):
    await make_user(harness, email="grace.hopper@example.com")
    for spelling in (fullwidth("grace.hopper@example.com"), fullwidth("GRACE.HOPPER@EXAMPLE.COM")):
        assert spelling != "grace.hopper@example.com"
        assert code_of(await run(harness, REGISTER, spelling)) == "CONFLICT"
        signed_in = await run(harness, LOGIN, spelling)
        assert signed_in.errors is None, signed_in.errors
        assert signed_in.data["login"]["user"]["email"] == "grace.hopper@example.com"


async def test_a_new_fullwidth_email_is_stored_in_its_one_spelling(harness):
    registered = await run(harness, REGISTER, fullwidth("Lin.Wei@Example.org"))
    assert registered.data["register"]["user"]["email"] == "lin.wei@example.org"


@pytest.mark.parametrize(
    "email",
    [
        "p\u0430ypal@example.com",  # Latin with a Cyrillic a
        "ada@ex\u0430mple.com",  # the same trick in the domain
        "\u03bfscar@example.com",  # Greek omicron before Latin letters
        "\u0455\u0441\u043e\u0440\u0435@example.com",  # "scope" wholly in Cyrillic twins
        "\u0440\u043e\u0440@example.com",  # "pop" wholly in Cyrillic twins
    ],
)
async def test_lookalike_letters_are_refused(harness, email):
    refused = await run(harness, REGISTER, email)
    assert refused.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "email"}
    assert "look-alike" in refused.errors[0].message


async def test_a_cyrillic_name_that_does_not_pass_for_latin_is_welcome(harness):
    email = "\u0438\u0432\u0430\u043d@example.com"  # "ivan" in Cyrillic
    registered = await run(harness, REGISTER, email)
    assert registered.errors is None, registered.errors
    assert registered.data["register"]["user"]["email"] == email


async def test_a_taken_email_is_refused_without_saying_it_exists(harness):
    taken = await make_user(harness)
    refused = await run(harness, REGISTER, taken.user.email, password="another password")
    assert code_of(refused) == "CONFLICT"
    message = refused.errors[0].message.lower()
    assert "exist" not in message and "taken" not in message and "already" not in message
    assert refused.errors[0].extensions == {"code": "CONFLICT", "field": "email"}


async def test_registrations_slow_down_per_address(harness):
    harness.login_limits = LoginLimits(registrations_per_address=3)
    moment = utcnow()
    harness.clock = lambda: moment
    taken = await make_user(harness)
    # Probing a taken email counts like a registration: enumeration is throttled too.
    assert code_of(await run(harness, REGISTER, taken.user.email)) == "CONFLICT"
    for _ in range(2):
        assert code_of(await run(harness, REGISTER, unique_email())) is None
    refused = await run(harness, REGISTER, unique_email())
    assert code_of(refused) == "RATE_LIMITED"
    assert refused.errors[0].extensions["retryAfterSeconds"] == 1
    assert code_of(await run(harness, REGISTER, taken.user.email)) == "RATE_LIMITED"
    # Another address is not affected, and the first one's wait ends.
    assert code_of(await run(harness, REGISTER, unique_email(), address="192.0.2.11")) is None
    moment += timedelta(seconds=1)
    assert code_of(await run(harness, REGISTER, unique_email())) is None
    assert code_of(await run(harness, REGISTER, unique_email())) == "RATE_LIMITED"
