"""This process's running turns: starting them, stopping them, and its share of reaping.

One `Generations` per process owns the running turns: it starts them, cancels them
when asked on any process (a control channel on the bus), renews their lease (through
its flusher, one transaction an interval for all of them), and fails the turns of
processes that died (their lease lapsed).
"""

import asyncio
from collections.abc import Callable
from datetime import datetime

from db.engine import SessionFactory
from db.materials.embeddings import EmbeddingModel
from db.models import Message
from db.pubsub import Bus
from tutor.providers import ModelCatalog
from tutor.stream import reaper, stop
from tutor.stream.flush import Flusher
from tutor.stream.observer import NoTurnObserver, TurnObserver
from tutor.stream.settings import GenerationSettings, TurnRequest
from tutor.stream.state import RunHandle


class Generations:
    """This process's running turns, and its share of watching other processes' turns."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        bus: Bus,
        catalog: ModelCatalog,
        clock: Callable[[], datetime],
        settings: GenerationSettings | None = None,
        observer: TurnObserver | None = None,
        embedder: EmbeddingModel | None = None,
    ) -> None:
        self.session_factory = session_factory
        # The passages' embedding model, for the tools' searches (None: the local one).
        self.embedder = embedder
        self.bus = bus
        self.catalog = catalog
        self.clock = clock
        self.settings = settings or GenerationSettings()
        # Told when turns start, stream, fail and end (the API's metrics).
        self.observer = observer or NoTurnObserver()
        self._runs: dict[int, RunHandle] = {}
        # Writes every running turn's progress and lease, in one transaction an interval.
        self.flusher = Flusher(self)
        self._watchers: list[asyncio.Task] = []
        self._closing = False

    async def start(self, *, reap: bool = True) -> None:
        """Listen for stop requests from any process and (unless told not to) reap."""
        ready = asyncio.Event()
        listener = asyncio.create_task(
            stop.listen_for_stops(self, ready), name="tutor-stop-listener"
        )
        self._watchers = [listener]
        if reap:
            self._watchers.append(
                asyncio.create_task(reaper.reap_forever(self), name="tutor-reaper")
            )
        # If the control channel cannot be subscribed, fail start-up instead of waiting.
        subscribed = asyncio.create_task(ready.wait())
        await asyncio.wait((listener, subscribed), return_when=asyncio.FIRST_COMPLETED)
        if not subscribed.done():
            subscribed.cancel()
            for watcher in self._watchers:
                watcher.cancel()
            listener.result()  # raises the subscribe error

    async def close(self) -> None:
        """End this process's turns as FAILED (INTERRUPTED): their stream stops here."""
        self._closing = True
        for watcher in self._watchers:
            watcher.cancel()
        for run in self._runs.values():
            if run.task is not None and not run.finishing:
                run.task.cancel()
        tasks = [run.task for run in self._runs.values() if run.task is not None]
        await asyncio.gather(*self._watchers, *tasks, return_exceptions=True)
        await self.flusher.close()

    def running_here(self, message_id: int) -> bool:
        return message_id in self._runs

    def __len__(self) -> int:
        return len(self._runs)

    def launch(self, request: TurnRequest) -> None:
        """Start the turn in the background; the registry holds the task until it ends."""
        if self._closing:
            raise RuntimeError("the server is shutting down")
        # The turn runner needs the Agents SDK: imported with the first turn (the app
        # preloads it at start-up, see `preload_turn_runner`), not with the schema.
        from tutor.stream.task import run_turn

        run = RunHandle()
        self._runs[request.message_id] = run
        run.task = asyncio.create_task(
            run_turn(self, request, run), name=f"turn-{request.message_id}"
        )

    def forget(self, message_id: int) -> None:
        """The turn has ended: drop it from the registry."""
        self._runs.pop(message_id, None)

    async def stop(self, message: Message) -> Message:
        """Stop a running answer wherever it runs and return it as it ends."""
        return await stop.stop(self, message)

    async def reap_once(self) -> list[int]:
        """Fail the turns whose lease lapsed (their process died); returns their ids."""
        return await reaper.reap_once(self)

    def stop_here(self, message_id: int) -> None:
        """Stop a turn running in this process (no-op for others and ending ones)."""
        run = self._runs.get(message_id)
        if run is None or run.stop_requested or run.finishing:
            return
        run.stop_requested = True
        if run.result is not None and not run.result.is_complete:
            # Stops the model stream and the running tools (a bare break would not).
            run.result.cancel()
        else:
            # Not started yet, or between attempts (a retry's back-off): nothing of the
            # SDK's runs, so cancelling our task is the whole stop.
            run.task.cancel()
        asyncio.get_running_loop().call_later(
            self.settings.stop_grace_seconds, self._force_stop, message_id
        )

    def _force_stop(self, message_id: int) -> None:
        run = self._runs.get(message_id)
        if run is None or run.finishing or run.task is None or run.task.done():
            return
        run.task.cancel()
