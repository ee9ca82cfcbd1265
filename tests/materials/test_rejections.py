"""Every way an upload is refused or fails, with its code, through HTTP on both databases."""

import httpx
import pytest
from pypdf import PdfWriter

from api.app import create_app
from tests.materials.files import flate_bomb, pdf_bytes
from tests.materials.helpers import DATA, Learner

SMALL_LIMIT = 64 * 1024


@pytest.fixture
async def small_client(settings):
    """The app with a 64 KiB upload limit."""
    app = create_app(settings.model_copy(update={"max_upload_bytes": SMALL_LIMIT}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_an_oversized_upload_is_cut_off_while_streaming(small_client):
    learner = await Learner.create(small_client)
    sent = []

    async def body():
        # A multipart body of ~10 MiB in 16 KiB pieces, sent without Content-Length.
        boundary = b"--b0undary"
        yield (
            boundary + b'\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            b'{"query": "mutation($f: Upload!) { uploadStudyMaterial(topicId: \\"'
            + learner.topic_id.encode()
            + b'\\", file: $f) { id } }", "variables": {"f": null}}\r\n'
            + boundary
            + b'\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.f"]}\r\n'
            + boundary
            + b'\r\nContent-Disposition: form-data; name="0"; filename="big.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n"
        )
        for _ in range(640):
            sent.append(1)
            yield b"x" * 16384
        yield b"\r\n" + boundary + b"--\r\n"

    response = await small_client.post(
        "/graphql",
        content=body(),
        headers={
            "authorization": f"Bearer {learner.token}",
            "graphql-preflight": "1",
            "content-type": "multipart/form-data; boundary=b0undary",
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # Reading stopped just past the limit: the other ~9.9 MiB were never pulled.
    assert len(sent) * 16384 < SMALL_LIMIT + 3 * 16384
    listed = await learner.query(
        "query($id: ID!) { topic(id: $id) { materials { totalCount } } }",
        {"id": learner.topic_id},
    )
    assert listed["data"]["topic"]["materials"]["totalCount"] == 0


async def test_a_declared_oversized_upload_is_refused_before_reading(small_client):
    learner = await Learner.create(small_client)
    response = await learner.upload_raw("big.txt", b"word " * SMALL_LIMIT)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_json_body_limit_is_not_widened_by_uploads(small_client, settings):
    response = await small_client.post(
        "/graphql",
        content=b'{"query": "{ serverInfo { version } }", "pad": "'
        + b"x" * settings.max_request_bytes
        + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("picture.png", PNG),
        ("picture.txt", PNG),
        ("program.md", ELF),
        ("notes.pdf", b"This is plain text pretending to be a PDF."),
        ("chapter.txt", (DATA / "tutorial-modules.pdf").read_bytes()),
        ("chapter.md", (DATA / "tutorial-modules.pdf").read_bytes()),
        ("script.py", b"print('hello')"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("empty.txt", b""),
    ],
)
async def test_unsupported_or_mismatched_content_is_refused(client, filename, data):
    learner = await Learner.create(client)
    body = await learner.upload(filename, data)
    assert body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE", body
    assert body["data"] is None


def ten_thousand_pages() -> bytes:
    writer = PdfWriter()
    for _ in range(10_000):
        writer.add_blank_page(width=72, height=72)
    return pdf_bytes(writer)


async def test_a_ten_thousand_page_pdf_fails_with_a_reason(client):
    learner = await Learner.create(client)
    body = await learner.upload("huge.pdf", ten_thousand_pages())
    material = await learner.wait_processed(body["data"]["uploadStudyMaterial"]["id"])
    assert material["status"] == "FAILED"
    assert "10000 pages" in material["error"]
    assert material["chunkCount"] == 0


async def test_a_flate_bomb_fails_with_a_reason(client):
    learner = await Learner.create(client)
    data = flate_bomb()
    assert len(data) < 2 * 1024 * 1024
    body = await learner.upload("bomb.pdf", data)
    material = await learner.wait_processed(body["data"]["uploadStudyMaterial"]["id"])
    assert material["status"] == "FAILED", material
    assert "limit" in material["error"]
