"""Uploading through the real HTTP multipart path, as Apollo's upload link and urql do."""

import asyncio
import json
from pathlib import Path

from tests.factories import PASSWORD, graphql, unique_email

DATA = Path(__file__).resolve().parent.parent / "data"

REGISTER = """
mutation($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken }
}"""
CREATE_TOPIC = "mutation($t: String!) { createTopic(input: {title: $t}) { id } }"
UPLOAD = """
mutation($topicId: ID!, $file: Upload!) {
  uploadStudyMaterial(topicId: $topicId, file: $file) {
    id filename contentType sizeBytes status error pageCount chunkCount
  }
}"""
MATERIAL = """
query($id: ID!) {
  node(id: $id) { ... on StudyMaterial { id status error pageCount chunkCount filename } }
}"""
SEARCH = """
query($q: String!, $topicId: ID, $first: Int) {
  searchMaterials(query: $q, topicId: $topicId, first: $first) {
    score
    citation { page startOffset endOffset quote material { id filename } }
  }
}"""


class Learner:
    """A registered user with a token and one topic, talking HTTP to the app."""

    def __init__(self, http, token: str, topic_id: str) -> None:
        self.http = http
        self.token = token
        self.topic_id = topic_id

    @classmethod
    async def create(cls, http) -> "Learner":
        body = await graphql(http, REGISTER, {"email": unique_email(), "password": PASSWORD})
        token = body["data"]["register"]["accessToken"]
        topic = await graphql(http, CREATE_TOPIC, {"t": "Python"}, token=token)
        return cls(http, token, topic["data"]["createTopic"]["id"])

    async def query(self, query: str, variables: dict | None = None) -> dict:
        return await graphql(self.http, query, variables, token=self.token)

    async def upload_raw(
        self,
        filename: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        headers: dict | None = None,
        topic_id: str | None = None,
    ):
        """POST one file with the multipart request spec; returns the httpx response."""
        operations = {
            "query": UPLOAD,
            "variables": {"topicId": topic_id or self.topic_id, "file": None},
        }
        sent_headers = {"authorization": f"Bearer {self.token}", "graphql-preflight": "1"}
        sent_headers.update(headers or {})
        return await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (filename, data, content_type)},
            headers={k: v for k, v in sent_headers.items() if v is not None},
        )

    async def upload(self, filename: str, data: bytes | None = None, **kwargs) -> dict:
        """Upload (a file from tests/data by default); returns the GraphQL body."""
        if data is None:
            data = (DATA / filename).read_bytes()
        response = await self.upload_raw(filename, data, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    async def upload_ready(self, filename: str, data: bytes | None = None, **kwargs) -> dict:
        """Upload and wait until the material is READY; returns the material."""
        body = await self.upload(filename, data, **kwargs)
        assert body.get("errors") is None, body
        material = body["data"]["uploadStudyMaterial"]
        return await self.wait_processed(material["id"], expect="READY")

    async def wait_processed(self, material_id: str, *, expect: str | None = None) -> dict:
        """Poll node(id) until the material leaves PROCESSING (embedding a 10-page PDF
        from cold takes ~10 s, and over 40 s on a busy 2-core machine)."""
        for _ in range(2400):
            body = await self.query(MATERIAL, {"id": material_id})
            node = body["data"]["node"]
            if node["status"] != "PROCESSING":
                if expect is not None:
                    assert node["status"] == expect, node
                return node
            await asyncio.sleep(0.05)
        raise AssertionError(f"material {material_id} still PROCESSING")

    async def search(self, q: str, *, topic_id: str | None = None, first: int = 5) -> list[dict]:
        body = await self.query(SEARCH, {"q": q, "topicId": topic_id, "first": first})
        assert body.get("errors") is None, body
        return body["data"]["searchMaterials"]


MATERIAL_EVENTS = """
subscription($t: ID!) {
  materialEvents(topicId: $t) { kind status materialId material { status error } }
}
"""
