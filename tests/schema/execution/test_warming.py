"""Loader warm-ups: declared per node field, and a failure is left for the field to report."""

from types import SimpleNamespace

import pytest
from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField

from schema.build import build_schema
from schema.context import Loaders
from schema.execution.warming import WarmUp, WarmWhen, warm_node_loaders
from schema.topics.types import TOPIC_NODE_WARM_UPS


def field(name: str, *selections: SelectedField) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(selections))


def test_topic_warm_ups_name_fields_of_topic():
    # A renamed field would otherwise silently stop being warmed.
    topic_fields = build_schema()._schema.get_type("Topic").fields
    assert {"progress", "materials"} <= set(TOPIC_NODE_WARM_UPS)
    assert set(TOPIC_NODE_WARM_UPS) <= set(topic_fields), sorted(topic_fields)
    # ...and a renamed loader would fail every topics page.
    for warm_up in TOPIC_NODE_WARM_UPS.values():
        assert hasattr(Loaders, warm_up.loader), warm_up


async def test_only_selected_fields_are_warmed_and_a_failure_stays_in_the_loader():
    batches: dict[str, list] = {"progress": [], "sessions": []}

    def loader(name: str) -> DataLoader:
        async def load(keys: list[int]):
            batches[name].append(keys)
            raise RuntimeError(f"{name} unavailable")

        return DataLoader(load_fn=load)

    loaders = SimpleNamespace(progress=loader("progress"), sessions=loader("sessions"))
    warm_ups = {"progress": WarmUp(loader="progress"), "sessions": WarmUp(loader="sessions")}
    selected = [field("topics", field("edges", field("node", field("id"), field("progress"))))]
    info = SimpleNamespace(context=SimpleNamespace(loaders=loaders), selected_fields=selected)

    await warm_node_loaders(info, [1, 2], warm_ups)  # does not raise

    assert batches == {"progress": [[1, 2]], "sessions": []}
    # The field that asks gets the failure, from the same batch (no second load).
    with pytest.raises(RuntimeError, match="progress unavailable"):
        await loaders.progress.load(1)
    assert batches["progress"] == [[1, 2]]


async def test_a_total_count_warm_up_loads_only_for_total_count_alone():
    batches: list[list[int]] = []

    async def load(keys: list[int]) -> list[int]:
        batches.append(keys)
        return [0 for _ in keys]

    loaders = SimpleNamespace(counts=DataLoader(load_fn=load))
    warm_ups = {"materials": WarmUp(loader="counts", when=WarmWhen.ONLY_TOTAL_COUNT)}

    def info_selecting(*materials_selections: SelectedField) -> SimpleNamespace:
        node = field("node", field("materials", *materials_selections))
        selected = [field("topics", field("edges", node))]
        return SimpleNamespace(context=SimpleNamespace(loaders=loaders), selected_fields=selected)

    await warm_node_loaders(info_selecting(field("edges", field("cursor"))), [1, 2], warm_ups)
    assert batches == []
    await warm_node_loaders(info_selecting(field("totalCount")), [1, 2], warm_ups)
    assert batches == [[1, 2]]
