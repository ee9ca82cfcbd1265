"""BodySizeLimit at the ASGI level: what reaches the app, and what is refused."""

import json
import logging

import pytest
from starlette.requests import ClientDisconnect

from api.body_limit import BodySizeLimit, is_multipart


class EchoApp:
    """Answers with the body it was given, so a test sees exactly what got through."""

    async def __call__(self, scope, receive, send):
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": bytes(body)})


async def call(limit: BodySizeLimit, messages: list[dict], headers=()) -> tuple[int, bytes]:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": list(headers)}
    pending = list(messages)
    sent: list[dict] = []

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await limit(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], body


def request(body: bytes, more: bool = False) -> dict:
    return {"type": "http.request", "body": body, "more_body": more}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([request(b"0123456789")], b"0123456789"),  # one message, exactly the limit
        ([request(b"01234", True), request(b"56789")], b"0123456789"),  # in chunks
        ([request(b"", True), request(b"0123456789")], b"0123456789"),
    ],
)
async def test_bodies_within_the_limit_reach_the_app_unchanged(messages, expected):
    assert await call(BodySizeLimit(EchoApp(), max_bytes=10), messages) == (200, expected)


@pytest.mark.parametrize(
    "messages",
    [
        [request(b"0123456789A")],  # one message over the limit, no Content-Length
        [request(b"012345", True), request(b"6789A")],
    ],
)
async def test_bodies_over_the_limit_get_413_without_a_length(messages):
    status, body = await call(BodySizeLimit(EchoApp(), max_bytes=10), messages)
    assert status == 413
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("content_type", "multipart"),
    [
        ("multipart/form-data; boundary=x", True),
        # Strawberry compares the parsed type case-sensitively, so this is read as a
        # plain body (and limited as one).
        ("Multipart/Form-Data; boundary=x", False),
        ("application/json", False),
        ("multipart/mixed; boundary=x", False),
        ("text/plain; note=multipart", False),
        ("", False),
    ],
)
def test_multipart_is_what_strawberry_parses_as_form_data(content_type, multipart):
    scope = {"headers": [(b"content-type", content_type.encode())]}
    assert is_multipart(scope) is multipart


UPLOAD = [(b"content-type", b"multipart/form-data; boundary=x"), (b"graphql-preflight", b"1")]


class FailingApp:
    """Reads an upload up to the disconnect, then raises `error` (as Starlette does at
    the cut, or as a bug would)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __call__(self, scope, receive, send):
        while (await receive())["type"] != "http.disconnect":
            pass
        raise self.error


async def test_the_disconnect_at_the_cut_is_expected_and_quiet(caplog):
    limit = BodySizeLimit(FailingApp(ClientDisconnect()), max_bytes=10)
    with caplog.at_level(logging.ERROR, logger="api.body_limit"):
        status, _ = await call(limit, [request(b"0123", True), request(b"456789A")], UPLOAD)
    assert status == 413
    assert caplog.records == []


async def test_any_other_failure_after_a_413_is_logged(caplog):
    limit = BodySizeLimit(FailingApp(LookupError("a bug")), max_bytes=10)
    with caplog.at_level(logging.ERROR, logger="api.body_limit"):
        status, _ = await call(limit, [request(b"0123", True), request(b"456789A")], UPLOAD)
    assert status == 413  # the client's answer is unchanged
    [record] = caplog.records
    assert record.levelno == logging.ERROR and isinstance(record.exc_info[1], LookupError)


async def test_a_failure_before_any_413_still_reaches_the_server():
    limit = BodySizeLimit(FailingApp(ClientDisconnect()), max_bytes=10)
    with pytest.raises(ClientDisconnect):
        await call(limit, [request(b"0123")], UPLOAD)
