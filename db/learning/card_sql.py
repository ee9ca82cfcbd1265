"""FSRS figures of cards as SQL expressions, so a topic's progress is an aggregate.

Mastery, due counts and the next-up terms are sums over a topic's cards; computed in
the database they leave it as one row per topic instead of one per card. Each
expression here is the SQL twin of a Python definition and must agree with it:

- `recall_at(at)`: scheduling.card_mastery()'s curve, (1 + F * d / S) ** C with d the
  whole days from the last review to `at` (0 before the first review, 1 before the
  last review).
- `whole_days(later, earlier)`: timedelta.days of a non-negative difference.

Differences are counted exactly on PostgreSQL (EXTRACT(EPOCH) of an interval is a
numeric with microseconds). SQLite has no interval type: there a difference is taken
from julianday() in whole milliseconds, its own resolution, so two moments less than a
millisecond apart around a whole day may count one day differently from Python.
"""

from sqlalchemy import Float, and_, case, cast, func, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from db.learning.scheduling import _DECAY, _FACTOR

DAY_SECONDS = 86400


class seconds_between(FunctionElement):  # a SQL function, named like one
    """Seconds from `earlier` to `later` (two timestamps), as a number."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw) -> str:
    later, earlier = list(element.clauses)
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw) -> str:
    later, earlier = list(element.clauses)
    # julianday() keeps milliseconds; rounding the product undoes the float's error.
    return (
        f"(round((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400000) / 1000.0)"
    )


def whole_days(later, earlier) -> ColumnElement:
    """timedelta.days of `later - earlier` (meant for later >= earlier), as a float."""
    return cast(func.floor(seconds_between(later, earlier) / DAY_SECONDS), Float)


def recall_at(at, stability, last_review) -> ColumnElement:
    """card_mastery()'s curve at `at` (a bound moment): see scheduling.retrievability()."""
    factor = literal(_FACTOR, Float)
    days = whole_days(at, last_review)
    return case(
        (or_(last_review.is_(None), stability.is_(None)), literal(0.0, Float)),
        (at < last_review, literal(1.0, Float)),
        else_=func.power(1 + factor * days / stability, literal(_DECAY, Float)),
    )


def capped(expression, cap: float) -> ColumnElement:
    """min(expression, cap), in a form both databases know (no least() in SQLite)."""
    return case((expression > cap, literal(cap, Float)), else_=expression)


def at_least(expression, floor: float) -> ColumnElement:
    """max(expression, floor), in a form both databases know (no greatest() in SQLite)."""
    return case((expression < floor, literal(floor, Float)), else_=expression)


def count_where(*conditions) -> ColumnElement:
    """How many rows of the group meet all the conditions."""
    return func.sum(case((and_(*conditions), 1), else_=0))
