"""Reading values out of a /metrics answer (Prometheus text format), for the tests."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample: (name, labels, value)."""
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 if none)."""
    return sum(
        sample_value
        for sample_name, sample_labels, sample_value in samples(text)
        if sample_name == name and labels.items() <= sample_labels.items()
    )


def has_metric(text: str, name: str) -> bool:
    return any(sample_name == name for sample_name, _, _ in samples(text))
