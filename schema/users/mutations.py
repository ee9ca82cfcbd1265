"""Sign-up, sign-in, token refresh and sign-out."""

import strawberry

from db import accounts
from schema.context import Info
from schema.users.types import AuthPayload, LoginInput, RegisterInput


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        context = info.context
        credentials = await accounts.register_user(
            context.session_factory,
            policy=context.token_policy,
            email=input.email,
            password=input.password,
            display_name=input.display_name,
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(description="Sign in with email and password.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        context = info.context
        credentials = await accounts.login_user(
            context.session_factory,
            policy=context.token_policy,
            email=input.email,
            password=input.password,
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(
        description="Rotates: the old refresh token stops working; reusing it revokes the "
        "whole family."
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        context = info.context
        credentials = await accounts.rotate_refresh_token(
            context.session_factory, policy=context.token_policy, refresh_token=refresh_token
        )
        return AuthPayload.from_credentials(credentials)

    @strawberry.mutation(
        description="Sign out one device: revokes the refresh token and its rotations. "
        "False when the token is unknown, already revoked, or not the caller's."
    )
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await accounts.logout_refresh_token(
            info.context.session_factory,
            user_id=info.context.require_user_id(),
            refresh_token=refresh_token,
        )
