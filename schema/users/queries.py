"""Who is signed in."""

import strawberry

from db.errors import Unauthenticated
from schema.context import Info
from schema.users.types import User


@strawberry.type
class UserQueries:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        user_id = info.context.require_user_id()
        row = await info.context.loaders.user_by_id.load(user_id)
        if row is None:  # a valid token of a deleted account
            raise Unauthenticated("the account no longer exists")
        return User.from_row(row)
