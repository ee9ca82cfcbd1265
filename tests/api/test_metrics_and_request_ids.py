"""/metrics, its access rules and the request id, through the real ASGI app (both databases)."""

import re

import httpx
import pytest

from api.app import create_app
from api.metrics import BoundedLabels
from api.settings import Settings
from db.engine import unit_of_work
from db.materials.embeddings import LOCAL_MODEL_NAME, index_name
from db.materials.library import MaterialStatus
from db.models import MaterialChunk, StudyMaterial
from tests.factories import graphql, make_topic, make_user
from tests.harness import TEST_JWT_SECRET
from tests.metrics_text import has_metric, value

ME = "query Me { me { id } }"


async def serve(settings: Settings):
    """An HTTP client for the app with these settings (lifespan included)."""
    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return app, lifespan, http


@pytest.fixture
async def production(database_url, tmp_path):
    """Builds production apps with the given metrics settings; closes them at the end."""
    opened = []

    async def build(**metrics_settings):
        settings = Settings(
            database_url=database_url,
            env="production",
            jwt_secret=TEST_JWT_SECRET,
            jwt_secret_file=tmp_path / "unused",
            **metrics_settings,
        )
        _, lifespan, http = await serve(settings)
        opened.append((lifespan, http))
        return http

    yield build
    for lifespan, http in opened:
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_development_metrics_are_prometheus_text(client):
    await graphql(client, ME)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    for name in (
        "studygraph_graphql_requests_total",
        "studygraph_graphql_errors_total",
        "studygraph_graphql_request_duration_seconds_bucket",
        "studygraph_open_websockets",
        "studygraph_open_subscriptions",
        "studygraph_running_answers",
        "studygraph_database_connections_in_use",
        "studygraph_embedding_backlog",
    ):
        assert has_metric(response.text, name), name


async def test_each_graphql_error_is_counted_once_by_its_code(client):
    before = (await client.get("/metrics")).text
    await graphql(client, ME)  # UNAUTHENTICATED, during execution
    await graphql(client, "query Broken { me { id ")  # BAD_USER_INPUT, before it
    after = (await client.get("/metrics")).text
    for code in ("UNAUTHENTICATED", "BAD_USER_INPUT"):
        name = "studygraph_graphql_errors_total"
        assert value(after, name, code=code) - value(before, name, code=code) == 1, code
    requests = "studygraph_graphql_requests_total"
    labels = {"operation": "Me", "type": "query", "outcome": "error"}
    assert value(after, requests, **labels) - value(before, requests, **labels) == 1


async def test_operation_names_are_labels_but_cannot_grow_the_series_without_end(client):
    for index in range(3):
        await graphql(client, f"query Name{index} {{ serverInfo {{ version }} }}")
    text = (await client.get("/metrics")).text
    for index in range(3):
        labels = {"operation": f"Name{index}", "outcome": "ok"}
        assert value(text, "studygraph_graphql_requests_total", **labels) >= 1

    bounded = BoundedLabels(limit=2)
    seen = [bounded(name) for name in ("a", "b", "c", "a", 'd"e')]
    assert seen == ["a", "b", "other", "a", "other"]
    assert BoundedLabels()('x"} 1\nfake 2') == "x___1_fake_2"


async def test_production_refuses_metrics_unless_the_operator_allows(production):
    closed = await production()
    refused = await closed.get("/metrics")
    assert refused.status_code == 403
    assert "studygraph_" not in refused.text

    listed = await production(metrics_allowed_clients="127.0.0.0/8")  # the test client
    assert (await listed.get("/metrics")).status_code == 200
    elsewhere = await production(metrics_allowed_clients="10.0.0.0/8")
    assert (await elsewhere.get("/metrics")).status_code == 403

    token = "scrape-" + "x" * 30
    with_token = await production(metrics_token=token)
    assert (await with_token.get("/metrics")).status_code == 403
    wrong = await with_token.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = await with_token.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert right.status_code == 200
    assert has_metric(right.text, "studygraph_graphql_requests_total")


async def test_embedding_backlog_counts_passages_without_the_current_models_vectors(
    client, harness
):
    """Passages of uploads in progress, and ready ones with no vectors, another model's or
    the current model's by an older recipe (the backfill's work); not those already
    embedded by the current model and recipe, nor failed."""
    learner = await make_user(harness)
    topic = await make_topic(harness, owner_id=learner.user.id)
    vectors = {
        MaterialStatus.PROCESSING: [None, None],
        MaterialStatus.READY: [
            None,
            "openai:some-other-model",
            LOCAL_MODEL_NAME,  # before sentences were embedded with their headings
            index_name(LOCAL_MODEL_NAME),
        ],
        MaterialStatus.FAILED: [None],
    }
    async with unit_of_work(harness.session_factory) as session:
        for status, models in vectors.items():
            material = StudyMaterial(
                owner_id=learner.user.id,
                topic_id=topic.id,
                filename="notes.txt",
                content_type="text/plain",
                size_bytes=10,
                status=status,
            )
            session.add(material)
            await session.flush()
            for ordinal, model in enumerate(models):
                session.add(
                    MaterialChunk(
                        owner_id=learner.user.id,
                        material_id=material.id,
                        topic_id=topic.id,
                        ordinal=ordinal,
                        start_offset=0,
                        end_offset=4,
                        text="text",
                        embedding=b"\0" if model else None,
                        embedding_model=model,
                    )
                )
    text = (await client.get("/metrics")).text
    assert value(text, "studygraph_embedding_backlog") == 5


async def test_request_id_is_echoed_and_in_error_extensions(client):
    response = await client.post(
        "/graphql", json={"query": ME}, headers={"x-request-id": "trace-42.a:b"}
    )
    assert response.headers["x-request-id"] == "trace-42.a:b"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "trace-42.a:b"


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "new\\nline", "<script>", ""])
async def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = await client.post("/graphql", json={"query": ME}, headers={"x-request-id": incoming})
    issued = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", issued)
    assert response.json()["errors"][0]["extensions"]["requestId"] == issued


async def test_every_response_gets_a_fresh_request_id(client):
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first != second
