"""What a turn is given: the process's timings, and the request read from its rows."""

from dataclasses import dataclass, field

from tutor.links import LinkPolicy
from tutor.stream.coalesce import check_window

# Model calls per turn (each tool round trip is one): enough for overview, search,
# quiz card and answer, small enough that a looping model fails fast with MAX_TURNS.
MAX_TURNS = 6


@dataclass(frozen=True)
class GenerationSettings:
    """Timings of running turns; tests shorten them."""

    # A turn's process renews its lease every lease/3 seconds; others fail it once
    # the lease has lapsed, checking every reap_interval: a dead process's turn is
    # FAILED within lease + reap_interval seconds.
    lease_seconds: float = 30.0
    reap_interval: float = 15.0
    flush_interval: float = 1.0
    # Text deltas arriving within this many seconds of the last text event are merged
    # into the next one (at most 50 ms, see `coalesce`; 0: one event per delta).
    coalesce_window_seconds: float = 0.03
    max_turns: int = MAX_TURNS
    turn_timeout_seconds: float = 300.0
    # The longest wait for a model call's first text (or tool call), and then between
    # its chunks (None: the same as the first). Neither bounds a steady stream.
    model_call_timeout_seconds: float = 120.0
    stream_idle_timeout_seconds: float | None = None
    # Models to try in order when the chosen one fails before its first event (after
    # its retries), as checked `provider:model` names.
    model_fallbacks: tuple[str, ...] = ()
    # An answer's text stops at this many bytes (FAILED, ANSWER_TOO_LONG, text kept).
    max_answer_bytes: int = 256 * 1024
    # Hosts that links and images in answers and quotes may point to (none by default).
    link_policy: LinkPolicy = field(default_factory=LinkPolicy)
    # Provider failures are retried only before the first event, never mid-answer.
    retry_attempts: int = 2
    retry_backoff_seconds: float = 0.5
    # How long a stop waits for the model and tools to wind down before cancelling.
    stop_grace_seconds: float = 5.0
    tracing: bool = False

    def __post_init__(self) -> None:
        check_window(self.coalesce_window_seconds)


@dataclass(frozen=True)
class TurnRequest:
    """Everything a turn needs, read from the rows when the turn was created."""

    user_id: int
    session_id: int
    message_id: int
    topic_id: int | None
    mode: str
    model: str
    # Messages to announce (MessageAdded, seq 0) on sessionEvents before the first event.
    announce: tuple[int, ...] = ()
    # The conversation before this message as a client of the OpenAI-compatible API sent
    # it ({"role", "content"} items, already made safe); None: built from our rows.
    client_history: tuple[dict[str, str], ...] | None = None
