"""`studygraph demo`: a demo learner whose dashboard, plan and next-up are full at once."""

import pytest
from sqlmodel import func, select

from api.app import create_app
from api.cli import main
from api.demo.builder import DEMO_EMAIL, DEMO_PASSWORD, TOPICS, create_demo
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory, unit_of_work
from db.models import Card, CardReview, StudyGoal, StudyMaterial, StudySession, Topic
from db.types import utcnow
from tests.factories import graphql
from tests.harness import TEST_JWT_SECRET

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken user { displayName } } }"""
DASHBOARD = """
{
  topics(first: 10) {
    totalCount
    edges { node { title materials { totalCount }
      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied } } }
  }
  studyGoals { title dueDate progress status }
  studyPlan(days: 7) {
    days { date totalMinutes items { topic { title } mode reason } }
    exams { topic { title } predictedMastery }
  }
  nextUpTopics(limit: 3) { topic { title } reason dueCardsCount }
  improvementAreas(limit: 3) { topic { title } }
  studyMetrics { totalMinutes reviewsCount sessionsCount currentStreakDays }
  currentSession { id }
}"""


async def _row_counts(session_factory) -> dict[str, int]:
    counts = {}
    async with unit_of_work(session_factory) as session:
        for model in (Topic, StudyMaterial, Card, CardReview, StudyGoal, StudySession):
            counts[model.__name__] = (await session.exec(select(func.count(model.id)))).one()
    return counts


async def _demo_twice(database_url: str) -> tuple[dict, dict, bool]:
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        policy = TokenPolicy(TEST_JWT_SECRET)
        first = await create_demo(factory, policy=policy, now=utcnow())
        after_first = await _row_counts(factory)
        second = await create_demo(factory, policy=policy, now=utcnow())
        assert first.created and not second.created
        return after_first, await _row_counts(factory), first.reviews == after_first["CardReview"]
    finally:
        await engine.dispose()


async def test_demo_fills_the_dashboard_plan_and_next_up(database_url, settings):
    after_first, after_second, reviews_counted = await _demo_twice(database_url)
    assert after_second == after_first, "a second run changes nothing"
    assert reviews_counted
    assert after_first["Topic"] == len(TOPICS) == after_first["StudyMaterial"]
    assert after_first["CardReview"] > 3 * after_first["Card"] > 0

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            signed_in = await graphql(
                http, LOGIN, {"input": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}}
            )
            token = signed_in["data"]["login"]["accessToken"]
            body = await graphql(http, DASHBOARD, token=token)
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    topics = [edge["node"] for edge in data["topics"]["edges"]]
    assert {topic["title"] for topic in topics} == {topic.title for topic in TOPICS}
    for topic in topics:
        progress = topic["progress"]
        assert topic["materials"]["totalCount"] == 1
        assert 0 < progress["mastery"] < 1, topic
        assert progress["reviewsCount"] > progress["cardsCount"] > 0
        assert progress["minutesStudied"] > 0
    assert sum(topic["progress"]["dueCardsCount"] for topic in topics) > 0, "something is due"
    mastery = {topic["title"]: topic["progress"]["mastery"] for topic in topics}
    assert mastery["Errors and exceptions"] < mastery["Python control flow"]

    [goal] = data["studyGoals"]
    assert goal["dueDate"] and goal["status"] == "ACTIVE" and 0 < goal["progress"] < 1
    plan_items = [item for day in data["studyPlan"]["days"] for item in day["items"]]
    assert plan_items and data["studyPlan"]["days"][0]["totalMinutes"] > 0
    assert data["studyPlan"]["exams"][0]["topic"]["title"] == "Python control flow"
    assert data["nextUpTopics"] and all(item["reason"] for item in data["nextUpTopics"])
    assert data["improvementAreas"][0]["topic"]["title"] == "Errors and exceptions"
    metrics = data["studyMetrics"]
    assert min(metrics["totalMinutes"], metrics["reviewsCount"], metrics["sessionsCount"]) > 0
    assert data["currentSession"] is None, "the demo's sessions are finished"


def test_the_command_prints_how_to_sign_in_and_is_safe_to_run_twice(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    monkeypatch.setenv("STUDYGRAPH_JWT_SECRET", TEST_JWT_SECRET)
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert "Created the demo learner" in first and "already exists" in second
    for output in (first, second):
        assert DEMO_EMAIL in output and DEMO_PASSWORD in output


def test_the_demo_is_refused_in_production(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    monkeypatch.setenv("STUDYGRAPH_ENV", "production")
    monkeypatch.setenv("STUDYGRAPH_JWT_SECRET", TEST_JWT_SECRET)
    assert main(["demo"]) == 2
    assert "production" in capsys.readouterr().err


@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.material)
def test_the_demo_material_ships_with_the_package(topic):
    from api.demo.builder import MATERIAL_DIR

    assert (MATERIAL_DIR / topic.material).stat().st_size > 10_000
    assert "Python Software Foundation" in (MATERIAL_DIR / "README.md").read_text()
