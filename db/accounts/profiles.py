"""The learner's own settings: display name and time zone."""

from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import check_timezone
from db.errors import NotFound
from db.models import User
from db.validation import UNCHANGED, clean_text

DISPLAY_NAME_MAX = 100


async def update_profile(
    session: AsyncSession,
    *,
    user_id: int,
    display_name: object = UNCHANGED,
    timezone: object = UNCHANGED,
) -> User:
    """Change the given settings of the signed-in user."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User")
    if display_name is not UNCHANGED and display_name is not None:
        user.display_name = clean_text(
            display_name, field="displayName", max_length=DISPLAY_NAME_MAX
        )
    if timezone is not UNCHANGED and timezone is not None:
        user.timezone = check_timezone(timezone)
    session.add(user)
    await session.flush()
    return user
