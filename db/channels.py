"""The names of every bus channel, in one place: the chat stream, material events, health."""

# Stop requests for turns, heard by every process (the one generating acts on it).
CONTROL_CHANNEL = "tutor:control"
# Pinged by /readyz to prove the backend carries a message (published without prefix).
HEALTH_CHANNEL = "studygraph_health"


def message_channel(message_id: int) -> str:
    """Every event of one answer (`messageEvents`)."""
    return f"message:{message_id}"


def session_channel(session_id: int) -> str:
    """Every event of every message of a session (`sessionEvents`)."""
    return f"session:{session_id}"


def topic_channel(topic_id: int) -> str:
    """The bus channel of a topic's material events."""
    return f"materials:topic:{topic_id}"
