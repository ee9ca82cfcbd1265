"""Uploads over the HTTP multipart path on SQLite and PostgreSQL."""

from tests.materials.files import make_docx
from tests.materials.helpers import Learner


async def test_markdown_upload_is_ready_and_searchable(client):
    learner = await Learner.create(client)
    body = await learner.upload("tutorial-controlflow.md")
    material = body["data"]["uploadStudyMaterial"]
    assert material["filename"] == "tutorial-controlflow.md"
    assert material["contentType"] == "text/markdown"
    assert material["status"] == "READY", material
    assert material["chunkCount"] > 10
    hits = await learner.search("What does the break statement do in a loop?")
    assert hits
    assert "break" in hits[0]["citation"]["quote"]
    assert hits[0]["citation"]["material"]["id"] == material["id"]


async def test_pdf_upload_is_processed_off_the_request_with_page_numbers(client):
    learner = await Learner.create(client)
    body = await learner.upload("tutorial-modules.pdf")
    material = body["data"]["uploadStudyMaterial"]
    assert material["status"] == "PROCESSING"
    assert material["contentType"] == "application/pdf"
    ready = await learner.wait_processed(material["id"], expect="READY")
    assert ready["pageCount"] == 10
    hits = await learner.search("How is the module search path sys.path initialized?")
    assert hits and all(hit["citation"]["page"] for hit in hits)


async def test_apollo_require_preflight_is_accepted_too(client):
    learner = await Learner.create(client)
    body = await learner.upload(
        "notes.txt",
        b"Generators yield values lazily.",
        headers={"graphql-preflight": None, "apollo-require-preflight": "true"},
    )
    assert body["data"]["uploadStudyMaterial"]["status"] == "READY"


async def test_multipart_without_a_preflight_header_is_refused_as_csrf(client):
    learner = await Learner.create(client)
    response = await learner.upload_raw(
        "notes.txt", b"hello there", headers={"graphql-preflight": None}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    listed = await learner.query(
        "query($id: ID!) { topic(id: $id) { materials { totalCount } } }",
        {"id": learner.topic_id},
    )
    assert listed["data"]["topic"]["materials"]["totalCount"] == 0


async def test_uploads_may_exceed_the_json_body_limit(client, settings):
    learner = await Learner.create(client)
    paragraph = b"Decorators wrap a function to extend its behaviour without changing it.\n\n"
    data = paragraph * (settings.max_request_bytes // len(paragraph) + 100)
    assert len(data) > settings.max_request_bytes
    body = await learner.upload("decorators.txt", data)
    material = await learner.wait_processed(body["data"]["uploadStudyMaterial"]["id"])
    assert material["status"] == "READY", material


async def test_cp1252_text_is_decoded_with_the_fallback(client):
    learner = await Learner.create(client)
    data = "Le café de Zoë: naïve résumé of coroutines".encode("cp1252")
    body = await learner.upload("cafe.txt", data)
    assert body["data"]["uploadStudyMaterial"]["status"] == "READY"
    hits = await learner.search("café coroutines")
    assert "café" in hits[0]["citation"]["quote"]


async def test_html_is_reduced_to_its_visible_text(client):
    learner = await Learner.create(client)
    page = (
        b"<!doctype html><html><head><title>t</title><style>p{color:red}</style>"
        b"<script>alert('stolen cookies')</script></head><body><h1>Tuples</h1>"
        b"<p>Tuples are immutable &amp; hashable sequences.</p></body></html>"
    )
    body = await learner.upload("tuples.html", page)
    assert body["data"]["uploadStudyMaterial"]["contentType"] == "text/html"
    hits = await learner.search("immutable tuples")
    quote = hits[0]["citation"]["quote"]
    assert "immutable & hashable" in quote
    assert "<" not in quote and "alert" not in quote and "color" not in quote


async def test_filenames_are_sanitised_and_length_limited(client):
    learner = await Learner.create(client)
    body = await learner.upload("../../etc/<script>evil\u202e.md", b"# Sets\n\nSets are unordered.")
    assert body["data"]["uploadStudyMaterial"]["filename"] == "scriptevil.md"
    body = await learner.upload("n" * 1000 + ".txt", b"Dictionaries map keys to values.")
    name = body["data"]["uploadStudyMaterial"]["filename"]
    assert len(name) == 255 and name.endswith(".txt")


async def test_docx_text_is_extracted(client):
    learner = await Learner.create(client)
    body = await learner.upload(
        "lambdas.docx", make_docx("Lambda expressions create small anonymous functions.")
    )
    uploaded = body["data"]["uploadStudyMaterial"]
    # Even a tiny DOCX is a zip that may inflate into long work: never inside the request.
    assert uploaded["status"] == "PROCESSING", uploaded
    material = await learner.wait_processed(uploaded["id"], expect="READY")
    assert material["chunkCount"] == 1
    hits = await learner.search("anonymous functions")
    assert hits[0]["citation"]["quote"] == "Lambda expressions create small anonymous functions."


async def test_a_string_in_place_of_the_file_is_bad_user_input(client):
    learner = await Learner.create(client)
    body = await learner.query(
        "mutation($t: ID!, $f: Upload!) { uploadStudyMaterial(topicId: $t, file: $f) { id } }",
        {"t": learner.topic_id, "f": "not a file"},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
