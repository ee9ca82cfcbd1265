"""A broadcast outage is logged in a few lines, not a traceback per failed publish."""

import logging

from db.pubsub import Bus
from db.throttled_log import ThrottledWarning
from tutor.stream.codec import EventType, MessageEventData
from tutor.stream.publish import publish_event


async def test_publishes_failing_during_a_redis_outage_log_one_line():
    # Nothing listens on port 1: every publish fails as during an outage.
    bus = Bus("redis://127.0.0.1:1/0")
    logger = logging.getLogger("tutor.stream.publish")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        for seq in range(1, 101):
            event = MessageEventData(
                EventType.DELTA, message_id=1, session_id=1, seq=seq, delta="x"
            )
            await publish_event(bus, event)
    finally:
        logger.removeHandler(handler)
    assert 1 <= len(records) <= 2
    for record in records:
        assert record.exc_info is None
        assert "\n" not in record.getMessage()
        assert "publish failed" in record.getMessage()


def test_repeats_are_counted_into_the_next_line():
    now = [0.0]
    records: list[logging.LogRecord] = []
    logger = logging.getLogger("test.throttled")
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        throttled = ThrottledWarning(logger, interval_seconds=10, monotonic=lambda: now[0])
        for _ in range(5):
            throttled.warn("publish failed", ConnectionError("refused"))
        now[0] = 11.0
        throttled.warn("publish failed", ConnectionError("refused"))
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in records] == [
        "publish failed: ConnectionError: refused",
        "publish failed: ConnectionError: refused (4 more since the last report)",
    ]
