"""DataLoaders of the users domain."""

from strawberry.dataloader import DataLoader

from db.accounts.users import UserRecord, get_users_by_ids
from db.engine import SessionFactory, read_connection


def user_loader(session_factory: SessionFactory) -> DataLoader[int, UserRecord | None]:
    async def load(user_ids: list[int]) -> list[UserRecord | None]:
        async with read_connection(session_factory) as connection:
            users = await get_users_by_ids(connection, user_ids=user_ids)
        return [users.get(user_id) for user_id in user_ids]

    return DataLoader(load_fn=load)
