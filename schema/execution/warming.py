"""Loading at once what the nodes of a page will ask their DataLoaders for.

A connection resolver knows its page's row ids before graphql-core completes the
nodes; loading those rows' relations in one batch then lets each node's field answer
from a settled Future (settled.py) instead of a task per field. Which loaders a node's
fields use is declared beside the node's type, as plain data (node field name ->
WarmUp), so the connection resolver names none of them.
"""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from strawberry.types.nodes import SelectedField

from schema.execution.preloaded import preload
from schema.execution.selections import connection_node_fields, selects_only_total_count


class WarmWhen(Enum):
    """For which selections of its node field a warm-up loads."""

    SELECTED = "selected"  # whenever the field is selected
    ONLY_TOTAL_COUNT = "only_total_count"  # a connection field selecting totalCount alone


@dataclass(frozen=True)
class WarmUp:
    """Load `loader` (an attribute of the operation's loaders, keyed by the node's row
    id) for the whole page, when the node field is selected as `when` says."""

    loader: str
    when: WarmWhen = WarmWhen.SELECTED
    # What the node field returns for the loaded value, when it is preloadable
    # (preloaded.py): the node then holds it, and a plan projects the field.
    preload: Callable[[Any], Any] | None = None

    def applies_to(self, selected: list[SelectedField]) -> bool:
        """Whether the field's selections (one per occurrence) read what this loads."""
        return self.when is WarmWhen.SELECTED or selects_only_total_count(selected)


WarmUps = Mapping[str, WarmUp]


async def warm_node_loaders(
    info: Any, row_ids: list[int], warm_ups: WarmUps, nodes: list[Any] = ()
) -> None:
    """Run the warm-ups of the node fields the connection field selects, together, and
    preload their values on `nodes` (one per row id) where a warm-up says how.

    Loading is all this does: a failure stays in the loader's Future, and the field that
    asks for it reports it to the client exactly as it would without warming (a node
    whose value failed is not preloaded).
    """
    if not row_ids or not warm_ups:
        return
    loaders = info.context.loaders
    pending, preloads = [], []
    for name, selected in connection_node_fields(info.selected_fields).items():
        warm_up = warm_ups.get(name)
        if warm_up is not None and warm_up.applies_to(selected):
            loading = getattr(loaders, warm_up.loader).load_many(row_ids)
            pending.append(loading)
            if warm_up.preload is not None and nodes:
                preloads.append((name, warm_up.preload, loading))
    if pending:
        # return_exceptions: the failures are the fields' to report (see above).
        results = await asyncio.gather(*pending, return_exceptions=True)
        for name, convert, loading in preloads:
            values = results[pending.index(loading)]
            if isinstance(values, BaseException):
                continue  # reported by the field itself, through its loader
            for node, value in zip(nodes, values, strict=True):
                preload(node, name, convert(value))
