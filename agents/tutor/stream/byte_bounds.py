"""Bounding what a turn publishes in bytes, not characters.

PostgreSQL's NOTIFY refuses a payload of 8000 bytes or more, and one character of an
answer can take up to 4 bytes in UTF-8 (or 6 once JSON escapes a control character):
a character count says nothing about whether an event fits. Every size here is the
size of the text as it will appear inside the JSON event.
"""

import json
from typing import Any

# One delta event's text; a longer delta becomes several events.
DELTA_EVENT_BYTES = 4000
# What a tool event carries of a call's arguments and output (the row keeps more).
TOOL_ARGUMENTS_EVENT_BYTES = 1500
TOOL_OUTPUT_EVENT_BYTES = 2000
# What the row keeps of the arguments a model chose (a model can send anything).
TOOL_ARGUMENTS_STORED_BYTES = 16_384

ELLIPSIS = "…"


def json_bytes(text: str) -> int:
    """The bytes `text` takes inside a JSON document (quotes excluded)."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def split_by_bytes(text: str, limit: int) -> list[str]:
    """`text` in consecutive pieces of at most `limit` JSON bytes each (never empty
    pieces, never a character cut in two)."""
    # No character takes more than 6 bytes in JSON: short texts need no measuring.
    if len(text) * 6 <= limit or json_bytes(text) <= limit:
        return [text]
    pieces: list[str] = []
    start = 0
    size = 0
    for index, character in enumerate(text):
        cost = json_bytes(character)
        if size + cost > limit and index > start:
            pieces.append(text[start:index])
            start, size = index, 0
        size += cost
    pieces.append(text[start:])
    return pieces


def truncate_by_bytes(text: str, limit: int) -> str:
    """`text`, or its start with an ellipsis, within `limit` JSON bytes."""
    if json_bytes(text) <= limit:
        return text
    return split_by_bytes(text, limit - json_bytes(ELLIPSIS))[0] + ELLIPSIS


def bounded_arguments(arguments: Any, limit: int) -> Any:
    """The arguments as they are, or a truncated preview of their JSON when too large."""
    encoded = json.dumps(arguments, ensure_ascii=False, default=str)
    if len(encoded.encode()) <= limit:
        return arguments
    # Room for the wrapper object's own keys.
    preview = truncate_by_bytes(encoded, limit - 40)
    return {"truncated": True, "preview": preview}
