"""Set-up for the study-session browser tests, over the public API from the test."""

import json
from pathlib import Path

import httpx

from tests.web.browser import graphql

CREATE_TOPIC = "mutation($t: String!) { createTopic(input: {title: $t}) { id } }"
UPLOAD = """mutation($topic: ID!, $file: Upload!) {
  uploadStudyMaterial(topicId: $topic, file: $file) { id status }
}"""
START = """mutation($topic: ID!, $mode: StudyMode) {
  startStudySession(input: {topicId: $topic, mode: $mode}) { id }
}"""
MESSAGE = "query($id: ID!) { message(id: $id) { status content } }"
REGENERATE = """mutation($id: ID!, $model: String) {
  regenerateMessage(messageId: $id, model: $model) { assistantMessage { id } }
}"""


def topic_with_material(base_url: str, token: str, title: str, material: Path) -> str:
    """A new topic holding one text file, READY (small text is extracted at once)."""
    topic = graphql(base_url, CREATE_TOPIC, {"t": title}, token)["createTopic"]["id"]
    operations = {"query": UPLOAD, "variables": {"topic": topic, "file": None}}
    answer = httpx.post(
        f"{base_url}/graphql",
        headers={"authorization": f"Bearer {token}", "graphql-preflight": "1"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (material.name, material.read_bytes(), "text/markdown")},
        timeout=60,
    ).json()
    assert "errors" not in answer, answer
    return topic


def start_session(base_url: str, token: str, topic: str, mode: str = "EXPLAIN") -> str:
    data = graphql(base_url, START, {"topic": topic, "mode": mode}, token)
    return data["startStudySession"]["id"]


def stored_message(base_url: str, token: str, message_id: str) -> dict:
    return graphql(base_url, MESSAGE, {"id": message_id}, token)["message"]


def session_path(session_id: str) -> str:
    return f"/sessions/{session_id}"
