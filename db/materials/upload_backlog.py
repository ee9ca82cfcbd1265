"""How many uploaded bytes this process holds in memory, waiting to be extracted.

An upload's bytes stay in memory from the request until its extraction ends, and
extraction runs on a small pool: a burst of 20 MiB files from many learners would
queue without bound. The per-user cap (db/materials/library.py) bounds one learner; this
bounds the process, whoever uploads.
"""

from collections.abc import Callable

from db.errors import RateLimited


class UploadBacklog:
    """A budget of bytes held by uploads between their request and their extraction."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0

    def hold(self, size: int) -> Callable[[], None]:
        """Reserves `size` bytes, or RATE_LIMITED when they would exceed the budget.

        Returns the release, safe to call more than once. A file larger than the whole
        budget is still accepted when nothing else is held, so that the upload limit,
        not this one, decides which files are too large.
        """
        if self.held_bytes and self.held_bytes + size > self.max_bytes:
            raise RateLimited(
                "the server is busy processing other uploads; try again in a minute",
                retryAfterSeconds=60,  # as login throttling reports it
            )
        self.held_bytes += size
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.held_bytes -= size

        return release
