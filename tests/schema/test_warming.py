"""Loader warm-ups: declared per node field, and a failure is left for the field to report."""

from types import SimpleNamespace

import pytest
from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField

from schema.build import build_schema
from schema.execution.warming import warm_node_loaders
from schema.topics.types import TOPIC_NODE_WARM_UPS


def field(name: str, *selections: SelectedField) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(selections))


def test_topic_warm_ups_name_fields_of_topic():
    # A renamed field would otherwise silently stop being warmed.
    topic_fields = build_schema()._schema.get_type("Topic").fields
    assert {"progress", "materials"} <= set(TOPIC_NODE_WARM_UPS)
    assert set(TOPIC_NODE_WARM_UPS) <= set(topic_fields), sorted(topic_fields)


async def test_only_selected_fields_are_warmed_and_a_failure_stays_in_the_loader():
    batches: dict[str, list] = {"progress": [], "sessions": []}

    def loader(name: str) -> DataLoader:
        async def load(keys: list[int]):
            batches[name].append(keys)
            raise RuntimeError(f"{name} unavailable")

        return DataLoader(load_fn=load)

    loaders = SimpleNamespace(progress=loader("progress"), sessions=loader("sessions"))
    warm_ups = {
        "progress": lambda loaders, ids, _selected: loaders.progress.load_many(ids),
        "sessions": lambda loaders, ids, _selected: loaders.sessions.load_many(ids),
    }
    selected = [field("topics", field("edges", field("node", field("id"), field("progress"))))]
    info = SimpleNamespace(context=SimpleNamespace(loaders=loaders), selected_fields=selected)

    await warm_node_loaders(info, [1, 2], warm_ups)  # does not raise

    assert batches == {"progress": [[1, 2]], "sessions": []}
    # The field that asks gets the failure, from the same batch (no second load).
    with pytest.raises(RuntimeError, match="progress unavailable"):
        await loaders.progress.load(1)
    assert batches["progress"] == [[1, 2]]
