"""The states a study goal takes, apart from the goal code so that the tables can use them.

str-valued enums: a member compares equal to, and is stored as, exactly the string the
rows held before they were enums.
"""

from enum import StrEnum


class GoalStatus(StrEnum):
    """Being worked toward, reached (it stays so), or put aside by the learner."""

    ACTIVE = "ACTIVE"
    ACHIEVED = "ACHIEVED"
    ARCHIVED = "ARCHIVED"
