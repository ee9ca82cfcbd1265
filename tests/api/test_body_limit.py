"""BodySizeLimit at the ASGI level: what reaches the app, and what is refused."""

import json

import pytest

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
