"""What one document may cost, the failure past it, and the clock extractors check."""

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractionLimits:
    """What one document may cost; beyond any of these it FAILS with the reason."""

    max_pages: int = 500
    max_chars: int = 2_000_000
    seconds: float = 60.0
    # Per decompressed PDF stream (pypdf's flate/LZW caps) and per DOCX part.
    max_stream_bytes: int = 20_000_000


class ExtractionFailed(Exception):
    """The file is of an accepted kind but cannot (or may not) be processed."""


class Deadline:
    """When an extraction's time runs out; `check()` raises ExtractionFailed past it."""

    def __init__(self, seconds: float, until: float | None = None) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds if until is None else until

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise ExtractionFailed(f"processing took longer than {self.seconds:g} seconds")
