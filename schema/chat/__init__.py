"""The chat domain: messages, the tutor's turns, their events, and the models."""
