"""Baseline for bench/dashboard.py: the dashboard's answer with no GraphQL and no ORM.

Starlette and plain asyncpg on studygraph's own PostgreSQL tables. `GET
/dashboard?user_id=N` answers with the same JSON, field for field and value for value,
as studygraph gives to the query in tests/dashboard.py (DASHBOARD_QUERY): the user, the
current session, the 20 newest topics with their progress and material counts, and the
five topics to study next. It checks no token. It imports nothing from studygraph: the
learning rules it needs (FSRS recall, progress, the next-up score) are written out here,
after db/learning/scheduling.py, progress.py, goals.py and next_up.py.

Five statements on one connection, one after the other. What it does not do that
studygraph does: it never marks a reached goal ACHIEVED (it leaves it out, as
studygraph's answer does), and it reads the learner's cards once, not twice.

Started by bench/dashboard.py as `uvicorn raw_dashboard:app --app-dir bench`; the
database comes from BENCH_RAW_DATABASE_URL (a postgresql:// DSN).
"""

import base64
import math
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

try:  # the encoder studygraph answers with, when it is installed
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

PAGE_SIZE = 20
NEXT_UP_LIMIT = 5
MAX_TOPICS = 500  # db/learning/next_up.py: nextUpTopics looks at the 500 newest topics
POOL_SIZE = 10  # studygraph's engine pool
# FSRS 6 default decay (fsrs.Scheduler: _DECAY = -w[20], _FACTOR = 0.9 ** (1 / _DECAY) - 1)
DECAY = -0.1542
FACTOR = 0.9 ** (1 / DECAY) - 1
SESSION_CAP = timedelta(hours=4)
WEEK = timedelta(days=7)
CORRECT_RATINGS = ("GOOD", "EASY")
OVERDUE_DAY_WEIGHT = 0.1
GOAL_GAP_WEIGHT = 10.0
NEGLECT_WEIGHT = 0.1
SOON_WEIGHT = 0.5
WEAKNESS_WEIGHT = 1.0
# Mastery is the predicted recall a week after now (db/learning/scheduling.py).
MASTERY_HORIZON = timedelta(days=7)

USER_AND_CURRENT_SESSION = """
SELECT u.id, u.email, u.display_name, u.timezone,
       s.id AS session_id, s.title AS session_title, s.mode, s.started_at,
       t.id AS topic_id, t.title AS topic_title
FROM users u
LEFT JOIN LATERAL (
    SELECT id, title, mode, started_at, topic_id FROM study_sessions
    WHERE owner_id = u.id AND ended_at IS NULL ORDER BY id DESC LIMIT 1
) s ON true
LEFT JOIN topics t ON t.id = s.topic_id AND t.owner_id = u.id
WHERE u.id = $1
"""
# The newest topics, each with its material count and review figures.
TOPICS = """
SELECT t.id, t.title, t.created_at,
       coalesce(m.materials, 0) AS materials,
       coalesce(r.reviews, 0) AS reviews, coalesce(r.correct, 0) AS correct, r.last_review
FROM topics t
LEFT JOIN (
    SELECT topic_id, count(*) AS materials FROM study_materials
    WHERE owner_id = $1 GROUP BY topic_id
) m ON m.topic_id = t.id
LEFT JOIN (
    SELECT topic_id, count(*) AS reviews,
           count(*) FILTER (WHERE rating IN ('GOOD', 'EASY')) AS correct,
           max(reviewed_at) AS last_review
    FROM card_reviews WHERE owner_id = $1 GROUP BY topic_id
) r ON r.topic_id = t.id
WHERE t.owner_id = $1
ORDER BY t.id DESC
LIMIT $2
"""
CARDS = "SELECT topic_id, due, stability, last_reviewed_at FROM cards WHERE owner_id = $1"
SESSIONS = "SELECT topic_id, started_at, ended_at FROM study_sessions WHERE owner_id = $1"
GOALS = """
SELECT id, topic_id, title, target_minutes_per_week, target_mastery, due_date
FROM study_goals WHERE owner_id = $1 AND status = 'ACTIVE' ORDER BY id
"""


def global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def recall(stability: float | None, last_review: datetime | None, now: datetime) -> float:
    """FSRS predicted recall; 0 before the first review."""
    if last_review is None or stability is None:
        return 0.0
    if now < last_review:
        return 1.0
    return float((1 + FACTOR * (now - last_review).days / stability) ** DECAY)


def session_seconds(started_at: datetime, ended_at: datetime | None, now: datetime) -> float:
    end = ended_at or now
    return max(0.0, min((end - started_at).total_seconds(), SESSION_CAP.total_seconds()))


@dataclass
class Progress:
    """What db/learning/progress.py works out for one topic."""

    mastery: float = 0.0
    cards: int = 0
    due: int = 0
    reviews: int = 0
    correct: int = 0
    seconds: float = 0.0
    sessions: int = 0
    last_studied: datetime | None = None
    next_review: datetime | None = None
    overdue_days: int = 0  # the next-up score: days overdue (up to 30 a card) ...
    late: int = 0  # ... and cards overdue by a day or more
    dues: list = field(default_factory=list)  # when each card is due

    def as_json(self) -> dict:
        return {
            "mastery": self.mastery,
            "cardsCount": self.cards,
            "dueCardsCount": self.due,
            "reviewsCount": self.reviews,
            "correctRate": self.correct / self.reviews if self.reviews else None,
            "minutesStudied": int(self.seconds // 60),
            "sessionsCount": self.sessions,
            "lastStudiedAt": iso(self.last_studied),
            "nextReviewAt": iso(self.next_review),
        }


def latest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def progress_by_topic(topics, cards, sessions, now: datetime) -> dict[int, Progress]:
    progress: dict[int, Progress] = defaultdict(Progress)
    for topic in topics:
        facts = progress[topic["id"]]
        facts.reviews, facts.correct = topic["reviews"], topic["correct"]
        facts.last_studied = topic["last_review"]
    recall_sums: dict[int, float] = defaultdict(float)
    for topic_id, due, stability, last_review in cards:
        facts = progress[topic_id]
        facts.cards += 1
        recall_sums[topic_id] += recall(stability, last_review, now + MASTERY_HORIZON)
        if due <= now:
            facts.due += 1
            days = min(30, (now - due).days)
            facts.overdue_days += days
            facts.late += days >= 1
        facts.next_review = due if facts.next_review is None else min(facts.next_review, due)
        facts.dues.append(due)
    for topic_id, total in recall_sums.items():
        progress[topic_id].mastery = total / progress[topic_id].cards
    for topic_id, started_at, ended_at in sessions:
        if topic_id is None:
            continue
        facts = progress[topic_id]
        facts.sessions += 1
        facts.seconds += session_seconds(started_at, ended_at, now)
        facts.last_studied = latest(
            facts.last_studied, min(ended_at or now, started_at + SESSION_CAP)
        )
    return progress


def minutes_last_week(sessions, now: datetime) -> dict[int | None, float]:
    since = now - WEEK
    minutes: dict[int | None, float] = {}
    for topic_id, started_at, ended_at in sessions:
        if not since - SESSION_CAP <= started_at <= now:
            continue
        counted = session_seconds(max(started_at, since), ended_at, now) / 60
        if ended_at is not None and ended_at < since:
            counted = 0.0
        minutes[topic_id] = minutes.get(topic_id, 0.0) + counted
    return minutes


def goal_progress(goal, mastery: float, minutes: dict[int | None, float]) -> float:
    shares = []
    if goal["target_minutes_per_week"]:
        if goal["topic_id"] is None:
            studied = sum(minutes.values())
        else:
            studied = minutes.get(goal["topic_id"], 0.0)
        shares.append(min(1.0, studied / goal["target_minutes_per_week"]))
    if goal["target_mastery"]:
        shares.append(min(1.0, mastery / goal["target_mastery"]))
    return sum(shares) / len(shares) if shares else 0.0


def plural(count: int) -> str:
    return "s" if count != 1 else ""


def goal_reasons(goal, progress: float, mastery: float, today) -> tuple[float, list[str]]:
    """The score and reasons one active goal adds to its topic (db/learning/next_up.py)."""
    score, reasons = 0.0, []
    target, due_date, title = goal["target_mastery"], goal["due_date"], goal["title"]
    if target and mastery < target:
        gap = target - mastery
        if due_date and due_date >= today:
            days_left = (due_date - today).days
            score += GOAL_GAP_WEIGHT * gap * 7 / max(1, days_left)
            reasons.append(
                f"'{title}' is on {due_date.isoformat()} (in {days_left} day{plural(days_left)})"
                f" and mastery is {mastery:.0%}, below the {target:.0%} target"
            )
        else:
            score += GOAL_GAP_WEIGHT * gap
            reasons.append(f"mastery is {mastery:.0%}, below the {target:.0%} target of '{title}'")
    if goal["target_minutes_per_week"] and progress < 1:
        score += 1 - progress
        reasons.append(f"the weekly minutes of '{title}' are not reached yet")
    return score, reasons


def next_up(topics, progress, goals, minutes, now: datetime, today) -> list[dict]:
    """db/learning/next_up.py's list_next_up_topics over the same facts."""
    active = []
    for goal in goals:
        reached = goal_progress(goal, progress[goal["topic_id"]].mastery, minutes)
        if reached < 1:  # studygraph marks it ACHIEVED and leaves it out
            active.append((goal, reached))
    ranked = []
    for topic in topics:
        facts = progress[topic["id"]]
        score, reasons = 0.0, []
        if facts.due:
            score += facts.due + OVERDUE_DAY_WEIGHT * facts.overdue_days
            late = facts.late
            text = f"{facts.due} card{plural(facts.due)} due for review now"
            reasons.append(text + (f", {late} overdue by a day or more" if late else ""))
        elif facts.dues:
            added, why = soonest(facts.dues, now)
            score += added
            reasons.append(why)
        if facts.cards:
            score += WEAKNESS_WEIGHT * (1 - facts.mastery)
            reasons.append(f"mastery {facts.mastery:.0%}")
        topic_goals = [
            (goal, reached) for goal, reached in active if goal["topic_id"] == topic["id"]
        ]
        for goal, reached in topic_goals:
            added, why = goal_reasons(goal, reached, facts.mastery, today)
            score += added
            reasons.extend(why)
        if facts.cards or topic_goals:
            last = facts.last_studied
            idle = max(0, min(30, (now - (last or topic["created_at"])).days))
            if idle >= 2 or last is None:
                score += NEGLECT_WEIGHT * idle
                reasons.append("never studied" if last is None else f"not studied for {idle} days")
        if reasons:
            reason = "; ".join(reasons)
            ranked.append((round(score, 3), topic, reason[0].upper() + reason[1:], facts.due))
    ranked.sort(key=lambda item: (item[3] == 0, -item[0], -item[1]["id"]))
    return [
        {
            "score": score,
            "reason": reason,
            "dueCardsCount": due,
            "topic": {"id": global_id("Topic", topic["id"]), "title": topic["title"]},
        }
        for score, topic, reason, due in ranked[:NEXT_UP_LIMIT]
    ]


def soonest(dues: list, now: datetime) -> tuple[float, str]:
    """The next-up term of the cards coming due next, when none is due now."""
    first = min(dues)
    wait = first - now
    window = first + max(timedelta(minutes=1), wait / 4)
    coming = sum(1 for due in dues if due <= window)
    seconds = wait.total_seconds()
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        count, unit = minutes, "minute"
    elif seconds < 48 * 3600:
        count, unit = round(seconds / 3600), "hour"
    else:
        count, unit = round(seconds / 86400), "day"
    verb = "comes" if coming == 1 else "come"
    return (
        SOON_WEIGHT * coming / (1 + seconds / 3600),
        f"{coming} card{plural(coming)} {verb} due in {count} {unit}{plural(count)}",
    )


def user_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def current_session(row) -> dict | None:
    if row["session_id"] is None:
        return None
    topic = None
    if row["topic_id"] is not None:
        topic = {"id": global_id("Topic", row["topic_id"]), "title": row["topic_title"]}
    return {
        "id": global_id("StudySession", row["session_id"]),
        "title": row["session_title"],
        "mode": row["mode"],
        "startedAt": iso(row["started_at"]),
        "topic": topic,
    }


def topic_node(topic, progress: Progress) -> dict:
    return {
        "id": global_id("Topic", topic["id"]),
        "title": topic["title"],
        "createdAt": iso(topic["created_at"]),
        "progress": progress.as_json(),
        "materials": {"totalCount": topic["materials"]},
    }


async def dashboard(request: Request) -> Response:
    try:
        user_id = int(request.query_params["user_id"])
    except (KeyError, ValueError):
        return JSONResponse({"error": "user_id must be an integer"}, status_code=400)
    async with request.app.state.pool.acquire() as connection:
        user = await connection.fetchrow(USER_AND_CURRENT_SESSION, user_id)
        if user is None:
            return JSONResponse({"error": "no such user"}, status_code=404)
        topics = await connection.fetch(TOPICS, user_id, MAX_TOPICS)
        cards = await connection.fetch(CARDS, user_id)
        sessions = await connection.fetch(SESSIONS, user_id)
        goals = await connection.fetch(GOALS, user_id)
    now = datetime.now(UTC)
    progress = progress_by_topic(topics, cards, sessions, now)
    today = now.astimezone(user_zone(user["timezone"])).date()
    data = {
        "me": {
            "id": global_id("User", user["id"]),
            "email": user["email"],
            "displayName": user["display_name"],
            "timezone": user["timezone"],
        },
        "currentSession": current_session(user),
        "topics": {
            "edges": [
                {"node": topic_node(topic, progress[topic["id"]])} for topic in topics[:PAGE_SIZE]
            ]
        },
        "nextUpTopics": next_up(
            topics, progress, goals, minutes_last_week(sessions, now), now, today
        ),
    }
    if orjson is None:
        return JSONResponse({"data": data})
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    dsn = os.environ["BENCH_RAW_DATABASE_URL"]
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[Route("/dashboard", dashboard), Route("/healthz", healthz)],
    lifespan=lifespan,
)
