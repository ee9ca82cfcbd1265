"""The bus channels of the chat stream: every name in one place."""

# Stop requests for turns, heard by every process (the one generating acts on it).
CONTROL_CHANNEL = "tutor:control"


def message_channel(message_id: int) -> str:
    """Every event of one answer (`messageEvents`)."""
    return f"message:{message_id}"


def session_channel(session_id: int) -> str:
    """Every event of every message of a session (`sessionEvents`)."""
    return f"session:{session_id}"
