"""The tutor's modes: how a study session's answers are given."""

from enum import StrEnum


class TutorMode(StrEnum):
    """A study session's way of studying; the stored and public names are the same."""

    EXPLAIN = "EXPLAIN"
    QUIZ = "QUIZ"
    SOCRATIC = "SOCRATIC"
    SUMMARIZE = "SUMMARIZE"
