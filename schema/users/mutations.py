"""Sign-up, sign-in, token refresh and sign-out."""

import strawberry

from db.accounts import profiles, users
from db.engine import unit_of_work
from schema.context import Info
from schema.users.types import AuthPayload, LoginInput, RegisterInput, UpdateMeInput, User


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Create an account and sign in. Registrations are throttled per client "
        "address (RATE_LIMITED with extensions.retryAfterSeconds); an email that cannot be "
        "registered is CONFLICT."
    )
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        context = info.context
        credentials = await users.register_user(
            context.session_factory,
            policy=context.token_policy,
            email=input.email,
            password=input.password,
            display_name=input.display_name,
            client_address=context.client_address,
            limits=context.login_limits,
            now=context.clock(),
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(
        description="Sign in with email and password. Attempts are slowed down per email "
        "and client address, and per client address, never locked out (RATE_LIMITED with "
        "extensions.retryAfterSeconds)."
    )
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        context = info.context
        credentials = await users.login_user(
            context.session_factory,
            policy=context.token_policy,
            email=input.email,
            password=input.password,
            client_address=context.client_address,
            limits=context.login_limits,
            now=context.clock(),
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(
        description="Rotates: the old refresh token stops working; reusing it revokes the "
        "whole family."
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        context = info.context
        credentials = await users.rotate_refresh_token(
            context.session_factory, policy=context.token_policy, refresh_token=refresh_token
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(
        description="Sign out one device: revokes the refresh token and its rotations. "
        "False when the token is unknown, already revoked, or not the caller's."
    )
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await users.logout_refresh_token(
            info.context.session_factory,
            user_id=info.context.require_user_id(),
            refresh_token=refresh_token,
        )

    @strawberry.mutation(
        description="Change the signed-in user's display name or time zone (BAD_USER_INPUT "
        "for a name zoneinfo does not know)."
    )
    async def update_me(self, info: Info, input: UpdateMeInput) -> User:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await profiles.update_profile(
                session,
                user_id=context.require_user_id(),
                display_name=input.display_name,
                timezone=input.timezone,
            )
        return User.from_row(row)
