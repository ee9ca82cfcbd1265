"""The chat-stream protocol, in one place.

A turn's task drains the model's stream (`drain`), numbering each text delta and tool
event with the next `seq` and publishing it (`publish`, wire form in `codec`, channel
names in `db.channels`) on the message's channel and its session's. The text is flushed to the
row with the seq it covers (`flush`), so the row is always a snapshot a late subscriber
can start from; the turn ends COMPLETE, CANCELLED or FAILED with a terminal event
(`finish`). `Generations` (`generations`) owns this process's turns; stops reach them
from any process (`stop`), and turns whose process died are failed by any other
(`reaper`). On the other side, `followers` turn what a subscriber receives, and the
rows it re-reads, into every event exactly once and in order.
"""
