"""Server-wide queries: serverInfo and node(id)."""

import strawberry

from db.errors import NotFound
from schema.context import Info
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
