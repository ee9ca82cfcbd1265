"""Set-up for the study-session browser tests, over the public API from the test."""

import json
import time
from pathlib import Path

import httpx

from tests.factories import PASSWORD
from tests.web.browser import Watch, graphql, new_context, sign_in

READY_TIMEOUT_SECONDS = 120

CREATE_TOPIC = "mutation($t: String!) { createTopic(input: {title: $t}) { id } }"
UPLOAD = """mutation($topic: ID!, $file: Upload!) {
  uploadStudyMaterial(topicId: $topic, file: $file) { id status }
}"""
START = """mutation($topic: ID!, $mode: StudyMode, $model: String) {
  startStudySession(input: {topicId: $topic, mode: $mode, model: $model}) { id }
}"""
SESSION = "query($id: ID!) { studySession(id: $id) { mode model } }"
MATERIALS = "query($id: ID!) { topic(id: $id) { materials { edges { node { status } } } } }"
MESSAGE = "query($id: ID!) { message(id: $id) { status content model } }"
REGENERATE = """mutation($id: ID!, $model: String) {
  regenerateMessage(messageId: $id, model: $model) { assistantMessage { id } }
}"""


def topic_with_material(
    base_url: str, token: str, title: str, material: Path, media_type: str = "text/markdown"
) -> str:
    """A new topic holding one file, READY (small text is extracted at once; a PDF is
    waited for)."""
    topic = graphql(base_url, CREATE_TOPIC, {"t": title}, token)["createTopic"]["id"]
    operations = {"query": UPLOAD, "variables": {"topic": topic, "file": None}}
    answer = httpx.post(
        f"{base_url}/graphql",
        headers={"authorization": f"Bearer {token}", "graphql-preflight": "1"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (material.name, material.read_bytes(), media_type)},
        timeout=60,
    ).json()
    assert "errors" not in answer, answer
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        edges = graphql(base_url, MATERIALS, {"id": topic}, token)["topic"]["materials"]["edges"]
        materials = [edge["node"] for edge in edges]
        if all(m["status"] == "READY" for m in materials):
            return topic
        assert all(m["status"] != "FAILED" for m in materials), materials
        time.sleep(0.2)
    raise AssertionError(f"{material.name} was not READY within {READY_TIMEOUT_SECONDS} s")


def start_session(
    base_url: str, token: str, topic: str, mode: str = "EXPLAIN", model: str | None = None
) -> str:
    data = graphql(base_url, START, {"topic": topic, "mode": mode, "model": model}, token)
    return data["startStudySession"]["id"]


def stored_session(base_url: str, token: str, session_id: str) -> dict:
    return graphql(base_url, SESSION, {"id": session_id}, token)["studySession"]


def stored_message(base_url: str, token: str, message_id: str) -> dict:
    return graphql(base_url, MESSAGE, {"id": message_id}, token)["message"]


def session_path(session_id: str) -> str:
    return f"/sessions/{session_id}"


def session_page(server, browser, account: dict, title: str, material: Path, **session):
    """A signed-in, watched page on a new study session of a new topic holding `material`
    (READY); `session` goes to start_session (mode, model). (page, context, watch, id)."""
    topic = topic_with_material(server.base_url, account["token"], title, material)
    session_id = start_session(server.base_url, account["token"], topic, **session)
    watch = Watch()
    context = new_context(browser, watch)
    page = context.new_page()
    sign_in(page, server.base_url, account["email"], PASSWORD)
    page.goto(server.base_url + session_path(session_id))
    return page, context, watch, session_id


def ask(page, question: str) -> None:
    """Type a question in the session page's box and press Ask."""
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask").click()
