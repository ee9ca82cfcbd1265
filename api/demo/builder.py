"""The demo learner: three topics with real material, cards with weeks of reviews, an
exam goal and finished sessions, built with the same db/ functions the API uses."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from api.demo.history import Recall, past_sessions, replay_reviews
from db.accounts.tokens import TokenPolicy
from db.accounts.users import register_user
from db.engine import SessionFactory, unit_of_work
from db.learning.goals import create_study_goal
from db.materials import library
from db.materials.library import MaterialStatus
from db.models import User
from db.study.topics import create_topic
from tutor.cards import generate_cards_for_topic

MATERIAL_DIR = Path(__file__).parent / "material"
DEMO_EMAIL = "demo@studygraph.dev"
# Printed by the command and shown nowhere else: the demo is refused in production.
DEMO_PASSWORD = "studygraph-demo"
DEMO_NAME = "Demo Learner"
HISTORY_WEEKS = 5
CARDS_PER_TOPIC = 12
EXAM_IN_DAYS = 21


@dataclass(frozen=True)
class DemoTopic:
    title: str
    description: str
    material: str
    recall: Recall  # how well the demo learner knows it
    study_days_ago: tuple[int, ...]


TOPICS = (
    DemoTopic(
        "Python control flow",
        "if, for, range, break and continue, match, defining functions",
        "tutorial-controlflow.md",
        Recall(again=0.08, hard=0.12, easy=0.25),
        (33, 30, 26, 19, 12, 9, 5, 3),
    ),
    DemoTopic(
        "Python data structures",
        "lists, tuples, sets, dictionaries, comprehensions",
        "tutorial-datastructures.md",
        Recall(again=0.15, hard=0.2, easy=0.15),
        (28, 21, 14, 7, 4),
    ),
    DemoTopic(
        "Errors and exceptions",
        "raising, handling and defining exceptions; clean-up actions",
        "tutorial-errors.md",
        Recall(again=0.35, hard=0.25, easy=0.05),  # the weak spot improvementAreas finds
        (24, 10),
    ),
)


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    email: str
    password: str
    topics: int = 0
    cards: int = 0
    reviews: int = 0


async def create_demo(
    session_factory: SessionFactory, *, policy: TokenPolicy, now: datetime
) -> DemoSummary:
    """The demo learner, created once: a second run finds it and changes nothing."""
    async with unit_of_work(session_factory) as session:
        existing = (await session.exec(select(User).where(User.email == DEMO_EMAIL))).first()
    if existing is not None:
        return DemoSummary(created=False, email=DEMO_EMAIL, password=DEMO_PASSWORD)
    credentials = await register_user(
        session_factory,
        policy=policy,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        display_name=DEMO_NAME,
    )
    owner_id = credentials.user.id
    rng = random.Random(17)
    cards = reviews = 0
    topic_ids = []
    for topic in TOPICS:
        topic_id = await _topic_with_material(session_factory, owner_id, topic, now)
        topic_ids.append(topic_id)
        made, reviewed = await _cards_with_history(
            session_factory, owner_id, topic_id, topic, rng, now
        )
        cards += made
        reviews += reviewed
    await _goal_and_sessions(session_factory, owner_id, topic_ids, now)
    return DemoSummary(True, DEMO_EMAIL, DEMO_PASSWORD, len(TOPICS), cards, reviews)


async def _topic_with_material(
    session_factory: SessionFactory, owner_id: int, topic: DemoTopic, now: datetime
) -> int:
    async with unit_of_work(session_factory) as session:
        row = await create_topic(
            session, owner_id=owner_id, title=topic.title, description=topic.description
        )
        data = (MATERIAL_DIR / topic.material).read_bytes()
        material = await library.create_material(
            session, owner_id=owner_id, topic_id=row.id, filename=topic.material, data=data
        )
        topic_id = row.id
    processed = await library.process_material(session_factory, None, material=material, data=data)
    if processed is None or processed.status != MaterialStatus.READY:
        raise RuntimeError(f"the demo material {topic.material} could not be read: {processed}")
    return topic_id


async def _cards_with_history(
    session_factory: SessionFactory,
    owner_id: int,
    topic_id: int,
    topic: DemoTopic,
    rng: random.Random,
    now: datetime,
) -> tuple[int, int]:
    """Cards written from the material weeks ago, then reviewed whenever they fell due."""
    created_at = now - timedelta(weeks=HISTORY_WEEKS, days=-rng.randint(0, 6))
    cards = await generate_cards_for_topic(
        session_factory,
        owner_id=owner_id,
        topic_id=topic_id,
        message_id=None,
        count=CARDS_PER_TOPIC,
        now=created_at,
    )
    reviews = 0
    async with unit_of_work(session_factory) as session:
        for card in cards:
            reviews += await replay_reviews(
                session, owner_id=owner_id, card=card, recall=topic.recall, now=now, rng=rng
            )
    return len(cards), reviews


async def _goal_and_sessions(
    session_factory: SessionFactory, owner_id: int, topic_ids: list[int], now: datetime
) -> None:
    async with unit_of_work(session_factory) as session:
        await create_study_goal(
            session,
            owner_id=owner_id,
            title="Python basics exam",
            topic_id=topic_ids[0],
            target_minutes_per_week=150,
            target_mastery=0.9,
            due_date=(now + timedelta(days=EXAM_IN_DAYS)).date(),
            now=now,
        )
        for topic_id, topic in zip(topic_ids, TOPICS, strict=True):
            session.add_all(
                past_sessions(
                    owner_id=owner_id,
                    topic_id=topic_id,
                    title=topic.title,
                    days_ago=list(topic.study_days_ago),
                    now=now,
                )
            )
        await session.flush()


def material_names() -> list[str]:
    """The files the demo uploads (shipped in the package, see material/README.md)."""
    return [topic.material for topic in TOPICS]
