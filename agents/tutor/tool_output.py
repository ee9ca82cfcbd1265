"""How the tutor's tools hand their results to the model: one JSON text, dates as ISO."""

import json
from datetime import date, datetime
from typing import Any


def tool_json(value: Any) -> str:
    """`value` as JSON (keys sorted, so the same result always reads the same)."""

    def default(item: Any) -> Any:
        if isinstance(item, datetime | date):
            return item.isoformat()
        raise TypeError(f"not JSON serialisable: {type(item).__name__}")

    return json.dumps(value, default=default, ensure_ascii=False, sort_keys=True)
