"""Loading at once what the nodes of a page will ask their DataLoaders for.

A connection resolver knows its page's row ids before graphql-core completes the
nodes; loading those rows' relations in one batch then lets each node's field answer
from a settled Future (schema/execution/settled.py) instead of a task per field. Which
loaders a node's fields use is declared beside the node's type, as a mapping from field
name to a warm-up, so the connection resolver names none of them.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strawberry.types.nodes import SelectedField

from schema.relay import connection_node_fields

# A warm-up: (the operation's loaders, the page's row ids, the node field as selected,
# once per occurrence) -> the loading to wait for, or None when this selection of the
# field would not use what it loads.
WarmUp = Callable[[Any, list[int], list[SelectedField]], Awaitable[object] | None]


async def warm_node_loaders(info: Any, row_ids: list[int], warm_ups: Mapping[str, WarmUp]) -> None:
    """Run the warm-ups of the node fields the connection field selects, together.

    Loading is all this does: a failure stays in the loader's Future, and the field that
    asks for it reports it to the client exactly as it would without warming.
    """
    if not row_ids or not warm_ups:
        return
    loaders = info.context.loaders
    pending = []
    for name, selected in connection_node_fields(info.selected_fields).items():
        warm_up = warm_ups.get(name)
        loading = warm_up(loaders, row_ids, selected) if warm_up else None
        if loading is not None:
            pending.append(loading)
    if pending:
        # return_exceptions: the failures are the fields' to report (see above).
        await asyncio.gather(*pending, return_exceptions=True)
