"""What the HTTP endpoint gives away and accepts: introspection in production, the
settings' document limits, subscriptions over HTTP, multipart parts."""

import json
from contextlib import asynccontextmanager

import httpx

from api.app import create_app
from tests.factories import PASSWORD, graphql, unique_email

INTROSPECT = "{ __schema { queryType { name } } }"
REGISTER = """
mutation($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken }
}"""


@asynccontextmanager
async def serving(settings, **overrides):
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def sign_up(http) -> str:
    variables = {"email": unique_email(), "password": PASSWORD}
    return (await graphql(http, REGISTER, variables))["data"]["register"]["accessToken"]


async def test_production_introspection_needs_a_signed_in_user(settings):
    async with serving(settings, env="production", allowed_origins=[]) as http:
        anonymous = await graphql(http, INTROSPECT)
        bad_token = await graphql(http, INTROSPECT, token="garbage")
        type_probe = await graphql(http, '{ __type(name: "User") { name } }')
        signed_in = await graphql(http, INTROSPECT, token=await sign_up(http))
        typename = await graphql(http, "{ __typename }")
    for refused in (anonymous, bad_token, type_probe):
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "introspection" in refused["errors"][0]["message"]
    assert signed_in["data"]["__schema"]["queryType"]["name"] == "Query"
    assert typename["data"] == {"__typename": "Query"}  # not introspection of the schema


async def test_a_setting_opens_introspection_and_development_has_it(settings):
    async with serving(settings, env="production", public_introspection=True) as http:
        public = await graphql(http, INTROSPECT)
    async with serving(settings) as http:
        development = await graphql(http, INTROSPECT)
    for body in (public, development):
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_production_errors_suggest_nothing(settings):
    async with serving(settings, env="production") as http:
        body = await graphql(http, "{ mee { id } }")
    assert "Did you mean" not in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_document_limits_come_from_the_settings(settings):
    async with serving(settings, max_query_characters=55, max_query_directives=1) as http:
        long = await graphql(http, "{ serverInfo { version database broadcast defaultModel } }  ")
        directives = await graphql(http, "{ __typename @skip(if: false) @include(if: true) }")
        fine = await graphql(http, "{ serverInfo { version } }")
    assert "characters; the limit is 55" in long["errors"][0]["message"]
    assert "directives; the limit is 1" in directives["errors"][0]["message"]
    for refused in (long, directives):
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert fine["data"]["serverInfo"]["version"]


async def test_a_subscription_over_http_is_a_bad_request(settings):
    subscription = 'subscription { materialEvents(topicId: "VG9waWM6MQ==") { __typename } }'
    async with serving(settings) as http:
        response = await http.post("/graphql", json={"query": subscription})
    assert response.status_code == 400, response.text
    assert "subscriptions are not allowed" in response.text


async def test_multipart_requests_are_capped_in_parts(settings):
    operations = {"query": "{ serverInfo { version } }", "variables": {}}
    fields = {"operations": json.dumps(operations), "map": "{}"}
    many_fields = {**fields, **{f"extra{i}": "x" for i in range(50)}}
    many_files = {str(i): (f"{i}.txt", b"x", "text/plain") for i in range(50)}
    headers = {"GraphQL-Preflight": "1"}
    one_file = ("a.txt", b"x", "text/plain")
    async with serving(settings, max_multipart_parts=10) as http:
        too_many_fields = await http.post(
            "/graphql", data=many_fields, files={"0": one_file}, headers=headers
        )
        too_many_files = await http.post("/graphql", data=fields, files=many_files, headers=headers)
        few = await http.post("/graphql", data=fields, files={"0": one_file}, headers=headers)
    for refused in (too_many_fields, too_many_files):
        assert refused.status_code == 400, refused.text[:200]
        assert "Too many" in refused.text
    assert few.status_code == 200, few.text
    assert few.json()["data"]["serverInfo"]["version"]
