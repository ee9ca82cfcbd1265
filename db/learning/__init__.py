"""Learning: flashcards and FSRS scheduling, progress and mastery, goals, metrics, next up,
the study plan.

- cards.py: flashcards (create, review, list, passages to write cards from)
- scheduling.py: FSRS state in and out of rows, ratings, predicted recall
- progress.py: a topic's mastery, reviews and study time
- goals.py: study goals and how far the learner is toward each
- metrics.py: daily study, totals and forgiving streaks over a date range
- next_up.py: what to study next and where to improve
- study_plan.py: reviews and goal work spread over the coming days
"""
