"""GraphQL types of accounts."""

from datetime import datetime

import strawberry

from db.accounts import Credentials
from db.models import User as UserRow
from schema.relay import Node, to_global_id


@strawberry.type(description="A learner's account.")
class User(Node):
    email: str = strawberry.field(description="Sign-in address, lower-cased.")
    display_name: str = strawberry.field(description="Name shown in the app.")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @classmethod
    def from_row(cls, row: UserRow) -> "User":
        return cls(
            id=to_global_id("User", row.id),
            email=row.email,
            display_name=row.display_name,
            created_at=row.created_at,
        )


@strawberry.type(description="Tokens of a signed-in client, and who is signed in.")
class AuthPayload:
    access_token: str = strawberry.field(
        description="JWT for `Authorization: Bearer`; lives 15 minutes."
    )
    refresh_token: str = strawberry.field(
        description="Opaque; trade it with `refreshToken` for new tokens. Single use."
    )
    access_token_expires_at: datetime = strawberry.field(
        description="When the access token stops working."
    )
    user: User = strawberry.field(description="The signed-in user.")

    @classmethod
    def from_credentials(cls, credentials: Credentials) -> "AuthPayload":
        return cls(
            access_token=credentials.access_token,
            refresh_token=credentials.refresh_token,
            access_token_expires_at=credentials.access_token_expires_at,
            user=User.from_row(credentials.user),
        )


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in address; must be unused.")
    password: str = strawberry.field(description="At least 8 characters.")
    display_name: str | None = strawberry.field(
        default=None, description="Defaults to the part of the email before the @."
    )


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str = strawberry.field(description="Sign-in address.")
    password: str = strawberry.field(description="The account's password.")
