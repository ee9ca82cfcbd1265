"""A learner ready for the /v1 API on a live server: a topic, READY material, a key."""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.servers import Server, create_topic, execute, register

DATA = Path(__file__).resolve().parents[1] / "data"
MATERIAL_FILE = "tutorial-datastructures.md"
TOPIC_TITLE = "Python data structures"
TOPIC_MODEL = "studygraph/python-data-structures"

CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name prefix lastUsedAt expiresAt } }
}"""
REVOKE_KEY = "mutation($id: ID!) { revokeApiKey(id: $id) { id } }"
API_KEYS = "{ apiKeys { id name prefix createdAt lastUsedAt expiresAt } }"
USAGE = "{ me { usage { inputTokens outputTokens } } }"
UPLOAD = """
mutation($topicId: ID!, $file: Upload!) {
  uploadStudyMaterial(topicId: $topicId, file: $file) { id }
}"""
MATERIAL = "query($id: ID!) { node(id: $id) { ... on StudyMaterial { status } } }"
START_SESSION = """
mutation($input: StartStudySessionInput!) { startStudySession(input: $input) { id } }"""
SESSION_MESSAGES = """
query($id: ID!) { node(id: $id) { ... on StudySession {
  messages(last: 10) { edges { node { id role status content } } } } } }"""


@dataclass
class ApiLearner:
    token: str
    topic_id: str
    key: str
    key_id: str


async def new_api_learner(server: Server, *, with_material: bool = True) -> ApiLearner:
    token = (await register(server))["accessToken"]
    topic = await create_topic(server, token, title=TOPIC_TITLE)
    if with_material:
        await upload_ready(server, token, topic["id"])
    key_id, key = await create_key(server, token)
    return ApiLearner(token, topic["id"], key, key_id)


async def create_key(server: Server, token: str, name: str = "chat app") -> tuple[str, str]:
    created = (await execute(server, CREATE_KEY, {"input": {"name": name}}, token=token))[
        "createApiKey"
    ]
    return created["apiKey"]["id"], created["secret"]


async def upload_ready(server: Server, token: str, topic_id: str) -> None:
    operations = {"query": UPLOAD, "variables": {"topicId": topic_id, "file": None}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (MATERIAL_FILE, (DATA / MATERIAL_FILE).read_bytes(), "text/markdown")},
            headers={"authorization": f"Bearer {token}", "graphql-preflight": "1"},
        )
    material_id = response.json()["data"]["uploadStudyMaterial"]["id"]
    for _ in range(600):
        node = (await execute(server, MATERIAL, {"id": material_id}, token=token))["node"]
        if node["status"] != "PROCESSING":
            assert node["status"] == "READY", node
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the material was not processed in time")


async def session_messages(server: Server, token: str, session_id: str) -> list[dict]:
    node = (await execute(server, SESSION_MESSAGES, {"id": session_id}, token=token))["node"]
    return [edge["node"] for edge in node["messages"]["edges"]]
