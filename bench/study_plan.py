"""Time of studyPlan's planner on a large topic: 60 days, 2,000 cards, target mastery 1.0.

The data-access function on an SQLite file (no HTTP, no GraphQL), for the default
budget and for the largest one (600 minutes a day). The target is well under a second;
before the incremental planner this case took minutes.
Run: `uv run python bench/study_plan.py`.
"""

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.engine import create_engine, create_session_factory, unit_of_work  # noqa: E402
from db.learning.study_plan import build_study_plan  # noqa: E402
from db.migrate import upgrade_database  # noqa: E402
from db.models import Card, StudyGoal, Topic, User  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARDS, DAYS = 2000, 60


async def main(exam_goals: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        await upgrade_database(url)
        engine = create_engine(url)
        factory = create_session_factory(engine)
        async with unit_of_work(factory) as session:
            user = User(email="bench@example.com", display_name="Bench", password_hash="x")
            session.add(user)
            await session.flush()
            topic = Topic(owner_id=user.id, title="Big")
            session.add(topic)
            await session.flush()
            session.add_all(
                Card(
                    owner_id=user.id, topic_id=topic.id, front=f"Q{n}?", back=f"A{n}.",
                    state="REVIEW", step=None, stability=1.0 + n % 40, difficulty=5.0, reps=3,
                    last_reviewed_at=NOW - timedelta(days=n % 20),
                    due=NOW + timedelta(days=n % 30 - 10), created_at=NOW,
                )
                for n in range(CARDS)
            )  # fmt: skip
            session.add_all(
                StudyGoal(
                    owner_id=user.id, topic_id=topic.id, title=f"Exam {n}",
                    target_mastery=1.0 - n / 1000,
                    due_date=(NOW + timedelta(days=DAYS - n % (DAYS - 1))).date(),
                )
                for n in range(exam_goals)
            )  # fmt: skip
            owner_id = user.id
        results = {}
        for minutes in (None, 600):
            async with unit_of_work(factory) as session:
                started = time.perf_counter()
                plan = await build_study_plan(
                    session, owner_id=owner_id, now=NOW, days=DAYS, minutes_per_day=minutes
                )
                elapsed = time.perf_counter() - started
            reviews = sum(len(item.card_ids) for day in plan.days for item in day.items)
            results[f"minutesPerDay={minutes}"] = {"seconds": round(elapsed, 3), "reviews": reviews}
        await engine.dispose()
        return results


if __name__ == "__main__":
    figures = {f"{goals} exam goal(s)": asyncio.run(main(goals)) for goals in (1, 100)}
    print(json.dumps(figures, indent=2))
