"""Learning: flashcards and FSRS scheduling, progress and mastery, goals, metrics, next up,
the study plan."""
