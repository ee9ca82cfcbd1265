"""Hostile documents against the real production server while /healthz is polled.

Before the document limits, a 1 MB body of `__typename` fields kept /healthz waiting
2.9 s. Each document must now be refused as BAD_USER_INPUT, and /healthz must not wait
much longer than it does while the same number of harmless queries are answered,
measured in the same run. The bound is deliberately loose (half a second over that
baseline) so a busy machine cannot fail it; bench/hostile_documents.py prints the
actual figures.
"""

from collections.abc import Iterator

import pytest

from tests.e2e.servers import Server, migrated_database, running_server
from tests.hostile_documents import BENIGN_DOCUMENT, HOSTILE_DOCUMENTS, replay

# No database work is involved: SQLite only.
ALLOWED_EXTRA_STALL_SECONDS = 0.5


@pytest.fixture(scope="module")
def production_server(request, tmp_path_factory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("stall")
    with (
        migrated_database("sqlite", request, workdir) as url,
        running_server(url, workdir, STUDYGRAPH_ENV="production") as running,
    ):
        yield running


def test_no_hostile_document_stalls_the_event_loop(production_server):
    base_url = production_server.base_url
    replay(base_url, "warm-up", BENIGN_DOCUMENT)
    baseline = replay(base_url, "benign", BENIGN_DOCUMENT)
    assert baseline.codes == set()
    worst = {name: replay(base_url, name, document) for name, document in HOSTILE_DOCUMENTS.items()}
    for name, result in worst.items():
        assert result.codes == {"BAD_USER_INPUT"}, (name, result.codes)
        assert result.stall <= baseline.stall + ALLOWED_EXTRA_STALL_SECONDS, (
            f"{name}: /healthz waited {result.stall:.3f} s (baseline {baseline.stall:.3f} s)"
        )
    assert "Traceback" not in production_server.output()
