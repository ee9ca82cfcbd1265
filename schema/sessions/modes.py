"""The tutor's modes as GraphQL shows them; apart so that chat's types can import them."""

from enum import Enum

import strawberry


@strawberry.enum(description="How the tutor teaches.")
class StudyMode(Enum):
    EXPLAIN = strawberry.enum_value("EXPLAIN", description="Explains and answers directly.")
    QUIZ = strawberry.enum_value("QUIZ", description="Asks questions from the material.")
    SOCRATIC = strawberry.enum_value(
        "SOCRATIC", description="Guides with hints and questions, never the answer itself."
    )
    SUMMARIZE = strawberry.enum_value("SUMMARIZE", description="Condenses the material.")
