"""FSRS, as the rest of db/ uses it: our card rows in, predictions and new states out.

The `fsrs` package works on its own Card objects; this module is the one place that
converts between those and our `cards` rows, so nobody else touches fsrs directly.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from db.errors import BadUserInput
from db.models import Card


class ReviewRating(StrEnum):
    """How well a card was recalled, from worst to best (FSRS's four grades)."""

    AGAIN = "AGAIN"
    HARD = "HARD"
    GOOD = "GOOD"
    EASY = "EASY"


class CardState(StrEnum):
    """Where a card stands in FSRS's learning steps."""

    LEARNING = "LEARNING"
    REVIEW = "REVIEW"
    RELEARNING = "RELEARNING"


RATINGS = tuple(ReviewRating)
CORRECT_RATINGS = (ReviewRating.GOOD, ReviewRating.EASY)
_STATE_NAMES = {
    State.Learning: CardState.LEARNING,
    State.Review: CardState.REVIEW,
    State.Relearning: CardState.RELEARNING,
}
_STATES = {name: state for state, name in _STATE_NAMES.items()}

# Fuzzing randomises intervals a little so cards made together spread out. We turn it
# off: a schedule that depends on a random draw cannot be forecast by the study plan,
# reproduced by a test, or explained to a learner.
SCHEDULER = Scheduler(enable_fuzzing=False)
_FACTOR, _DECAY = SCHEDULER._FACTOR, SCHEDULER._DECAY


def check_rating(rating: str) -> ReviewRating:
    """The rating, or BAD_USER_INPUT."""
    if rating not in RATINGS:
        raise BadUserInput(f"rating must be one of {', '.join(RATINGS)}", field="rating")
    return ReviewRating(rating)


def as_utc(moment: datetime) -> datetime:
    """fsrs insists on tzinfo being exactly UTC, not merely an offset of zero."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the scheduler")
    return moment.astimezone(UTC)


def to_fsrs(row: Card) -> FsrsCard:
    """The fsrs view of a card row (`card_id` is ours, so fsrs does not mint one)."""
    return fsrs_card(*(getattr(row, column) for column in FSRS_COLUMNS))


# The columns fsrs_card() takes, in its order: select these to skip building ORM rows.
FSRS_COLUMNS = ("id", "state", "step", "stability", "difficulty", "due", "last_reviewed_at")


def fsrs_card(
    card_id: int | None,
    state: str,
    step: int | None,
    stability: float | None,
    difficulty: float | None,
    due: datetime,
    last_reviewed_at: datetime | None,
) -> FsrsCard:
    """The fsrs card of a row's FSRS_COLUMNS values."""
    return FsrsCard(
        card_id=card_id or 0,
        state=_STATES[state],
        step=step,
        stability=stability,
        difficulty=difficulty,
        due=as_utc(due),
        last_review=as_utc(last_reviewed_at) if last_reviewed_at else None,
    )


def copy_fsrs_state(row: Card, card: FsrsCard) -> None:
    """Write an fsrs card's schedule back onto the row."""
    row.state = _STATE_NAMES[card.state]
    row.step = card.step
    row.stability = card.stability
    row.difficulty = card.difficulty
    row.due = card.due
    row.last_reviewed_at = card.last_review


def apply_rating(
    card: FsrsCard, rating: str, at: datetime, duration_seconds: int | None = None
) -> FsrsCard:
    """The card after a review with this rating at this time."""
    duration_ms = None if duration_seconds is None else duration_seconds * 1000
    reviewed, _log = SCHEDULER.review_card(
        card, Rating[check_rating(rating).title()], as_utc(at), duration_ms
    )
    return reviewed


def review_outcomes(row: Card, at: datetime) -> list[tuple[ReviewRating, datetime, CardState]]:
    """For each rating, when the card would be due and in which state, were it reviewed
    at `at`. No fuzzing (SCHEDULER), so this is exactly what a review would store."""
    card = to_fsrs(row)
    outcomes = []
    for rating in RATINGS:
        reviewed = apply_rating(card, rating, at)
        outcomes.append((rating, reviewed.due, _STATE_NAMES[reviewed.state]))
    return outcomes


def retrievability(card: FsrsCard, at: datetime) -> float:
    """Predicted probability of recalling the card at `at`; 0 before its first review.

    The forgetting curve of Scheduler.get_card_retrievability, inlined: the study plan
    calls this hundreds of thousands of times, and the method call costs several times
    the arithmetic (tests/learning/test_study_plan_scale.py checks both agree).
    """
    last_review = card.last_review
    if last_review is None or card.stability is None:
        return 0.0
    if at < last_review:
        return 1.0
    elapsed_days = (at - last_review).days
    return float((1 + _FACTOR * elapsed_days / card.stability) ** _DECAY)


def row_retrievability(row: Card, at: datetime) -> float:
    """retrievability() straight from a row."""
    return retrievability(to_fsrs(row), at)


# Mastery looks a week ahead. Predicted recall *now* is ~1.0 for any card just
# reviewed, whatever the rating, so "mastery now" read 100% right after an AGAIN; recall
# a week later is what the learner keeps, and it falls with a lapse (FSRS cuts the
# stability to a few days, and a week is long enough for that to show; a one-day
# horizon read a lapsed card as better known than the day before). One definition for
# every reader: progress, goals, plan, next up,
# improvement areas and the tutor's messages all go through card_mastery().
MASTERY_HORIZON = timedelta(days=7)


def card_mastery(card, at: datetime) -> float:
    """How well a card is mastered at `at`: its predicted recall MASTERY_HORIZON later.

    mastery(card, t) = (1 + F * d / S) ** C, with d = whole days from the last review to
    t + 7 days, S the FSRS stability, F and C the FSRS-6 curve constants; 0 before the
    first review. `card` is an fsrs card or anything with stability and last_review.
    """
    return retrievability(card, at + MASTERY_HORIZON)
