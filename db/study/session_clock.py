"""When a study session ends, and how much of it counts as study time.

A session is active from its start until the learner ends it, starts another one, or
stops doing anything in it. Activity is a message, a review or a quiz answer; each one
moves `last_activity_at` to now and `idle_deadline` to now + the session's idle length
(STUDYGRAPH_SESSION_IDLE_MINUTES when it started). Once `idle_deadline` passes, the
session is over (it is active through the deadline itself): it ended at its last
activity plus IDLE_GRACE (reading the last answer takes a moment), never later than the
deadline.

Every reader applies this rule itself ("lazily"), so a session that went idle reads as
ended on every process at once; the sweeper only writes the same `ended_at` down so that
plain `ended_at IS NULL` filters agree. Only active time counts: a session counts from
its start to that end (or to now while active), at most SESSION_CAP.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_IDLE_MINUTES = 30
# Reading the tutor's last answer or thinking over the last card still counts.
IDLE_GRACE = timedelta(minutes=2)
# A safety net under the idle rule: no single session counts longer than this.
SESSION_CAP = timedelta(hours=4)


@dataclass(frozen=True)
class SessionTimes:
    """What the rule reads of a session row (a row, or a tuple of its columns)."""

    started_at: datetime
    ended_at: datetime | None
    last_activity_at: datetime | None
    idle_deadline: datetime | None

    @classmethod
    def of(cls, row) -> "SessionTimes":
        return cls(row.started_at, row.ended_at, row.last_activity_at, row.idle_deadline)


def idle_end(times: SessionTimes) -> datetime:
    """When an idle session ended: its last activity plus the grace, within its deadline.

    A row without a deadline (sessions from before the rule) ended at its start plus the
    grace: nothing says the learner did anything after starting it.
    """
    last = times.last_activity_at or times.started_at
    end = last + IDLE_GRACE
    if times.idle_deadline is not None:
        end = min(end, times.idle_deadline)
    return max(end, times.started_at)


def session_end(times: SessionTimes, now: datetime) -> datetime | None:
    """When the session ended as seen at `now`; None while it is still active."""
    if times.ended_at is not None:
        return times.ended_at
    if times.idle_deadline is not None and now <= times.idle_deadline:
        return None
    return idle_end(times)


def counted_seconds(times: SessionTimes, now: datetime, *, since: datetime | None = None) -> float:
    """Seconds of study the session counts at `now` (from `since` if later than its start)."""
    end = session_end(times, now) or now
    end = min(end, times.started_at + SESSION_CAP)
    start = times.started_at if since is None else max(times.started_at, since)
    return max(0.0, (end - start).total_seconds())


def last_studied(times: SessionTimes, now: datetime) -> datetime:
    """The latest moment the session counts as studying."""
    return min(session_end(times, now) or now, times.started_at + SESSION_CAP)


def touch(row, now: datetime) -> bool:
    """Record activity in an active session row (in place); False when it has ended.

    The idle length is kept per session: the new deadline is as far from now as the old
    one was from the previous activity.
    """
    if session_end(SessionTimes.of(row), now) is not None:
        return False
    last = row.last_activity_at or row.started_at
    idle = row.idle_deadline - last
    if now > last:
        row.last_activity_at = now
        row.idle_deadline = now + idle
    return True
