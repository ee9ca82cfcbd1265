"""DataLoaders of the users domain."""

from strawberry.dataloader import DataLoader

from db.accounts import get_users_by_ids
from db.engine import SessionFactory, read_only
from db.models import User


def user_loader(session_factory: SessionFactory) -> DataLoader[int, User | None]:
    async def load(user_ids: list[int]) -> list[User | None]:
        async with read_only(session_factory) as session:
            users = await get_users_by_ids(session, user_ids=user_ids)
        return [users.get(user_id) for user_id in user_ids]

    return DataLoader(load_fn=load)
