"""GraphQL types of accounts."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.accounts.users import Credentials, UserRecord
from db.errors import NotFound
from db.models import User as UserRow
from schema.context import Info
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.chat.types import UsageSummary

UsageSummaryType = Annotated["UsageSummary", strawberry.lazy("schema.chat.types")]


@strawberry.type(description="A learner's account.")
class User(Node):
    email: str = strawberry.field(description="Sign-in address, lower-cased.")
    display_name: str = strawberry.field(description="Name shown in the app.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    timezone: str = strawberry.field(
        description="IANA time zone name (e.g. 'Asia/Tokyo'); days in metrics and plans are "
        "this zone's days. Defaults to UTC."
    )
    row_id: strawberry.Private[int]

    @strawberry.field(description="Tokens the tutor used for this learner today, and the budget.")
    async def usage(self, info: Info) -> UsageSummaryType:
        from schema.chat.queries import usage_today

        if self.row_id != info.context.require_user_id():
            raise NotFound("user")
        return await usage_today(info, self.row_id)

    @classmethod
    def from_row(cls, row: UserRow | UserRecord) -> "User":
        return cls(
            id=to_global_id("User", row.id),
            row_id=row.id,
            email=row.email,
            display_name=row.display_name,
            created_at=row.created_at,
            timezone=row.timezone,
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


@strawberry.input(description="Changes to the signed-in user's settings; omitted fields stay.")
class UpdateMeInput:
    display_name: str | None = strawberry.field(
        default=None, description="Name shown in the app, 1 to 100 characters."
    )
    timezone: str | None = strawberry.field(
        default=None, description="An IANA time zone name such as 'Europe/Paris'."
    )
