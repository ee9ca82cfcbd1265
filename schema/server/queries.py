"""Server-wide queries: serverInfo and node(id)."""

import strawberry

from db.accounts.api_keys import list_api_keys
from db.engine import unit_of_work
from db.errors import NotFound
from db.learning.goals import get_study_goal_view
from schema.api_keys.types import ApiKey
from schema.chat.types import Message
from schema.context import Info
from schema.learning.types import Card, StudyGoal
from schema.materials.types import StudyMaterial
from schema.relay import Node, from_global_id
from schema.server.types import ServerInfo
from schema.sessions.types import StudySession
from schema.topics.types import Topic
from schema.users.types import User


async def _load_node(info: Info, type_name: str, row_id: int) -> Node | None:
    loaders = info.context.loaders
    if type_name == "Topic":
        row = await loaders.topic_by_id.load(row_id)
        return Topic.from_row(row) if row else None
    if type_name == "StudySession":
        row = await loaders.session_by_id.load(row_id)
        return StudySession.from_row(row) if row else None
    if type_name == "StudyMaterial":
        row = await loaders.material_by_id.load(row_id)
        return StudyMaterial.from_row(row) if row else None
    if type_name == "User" and row_id == info.context.require_user_id():
        row = await loaders.user_by_id.load(row_id)
        return User.from_row(row) if row else None
    if type_name == "Card":
        row = await loaders.card_by_id.load(row_id)
        return Card.from_row(row) if row else None
    if type_name == "Message":
        row = await loaders.message_by_id.load(row_id)
        return Message.from_row(row) if row else None
    return await _load_unbatched(info, type_name, row_id)


async def _load_unbatched(info: Info, type_name: str, row_id: int) -> Node | None:
    """Types no list resolves in batches; each read is one short unit of work."""
    context = info.context
    owner_id = context.require_user_id()
    if type_name == "StudyGoal":
        async with unit_of_work(context.session_factory) as session:
            view = await get_study_goal_view(
                session, owner_id=owner_id, goal_id=row_id, now=context.clock()
            )
        return StudyGoal.from_view(view)
    if type_name == "ApiKey":
        async with unit_of_work(context.session_factory) as session:
            rows = await list_api_keys(session, owner_id=owner_id)
        return next((ApiKey.from_row(row) for row in rows if row.id == row_id), None)
    return None


@strawberry.type
class ServerQueries:
    @strawberry.field(description="Version and backends of this server.")
    def server_info(self, info: Info) -> ServerInfo:
        return ServerInfo.from_facts(info.context.server)

    @strawberry.field(description="Any of the learner's objects by global ID; NOT_FOUND otherwise.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        info.context.require_user_id()
        type_name, row_id = from_global_id(id)
        node = await _load_node(info, type_name, row_id)
        if node is None:
            raise NotFound(type_name if type_name.isidentifier() else "Node")
        return node
