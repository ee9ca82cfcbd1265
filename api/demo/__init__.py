"""`studygraph demo`: a demo learner, so a new developer sees a full dashboard at once."""
