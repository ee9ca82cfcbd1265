"""How long `register` takes for a new email against a taken one (the baseline).

A refusal that came back much faster than a success would tell which emails are
registered without reading the answer, so both paths hash the password first. This
prints the median and spread of each, interleaved in one run on a throwaway SQLite
database, and their difference. Seconds, not minutes:

    uv run python bench/registration_timing.py [--rounds 15]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from db.accounts import users
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory
from db.errors import Conflict
from db.migrate import upgrade_database

PASSWORD = "correct horse battery"
POLICY = TokenPolicy("bench-secret-that-is-long-enough-for-hs256-0123456789")


async def timed_registration(session_factory, email: str) -> float:
    started = time.perf_counter()
    try:
        await users.register_user(
            session_factory, policy=POLICY, email=email, password=PASSWORD, display_name=None
        )
    except Conflict:
        pass
    return (time.perf_counter() - started) * 1000


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade_database(url)
        engine = create_engine(url)
        session_factory = create_session_factory(engine)
        taken = "taken@example.com"
        await timed_registration(session_factory, taken)  # also warms argon2 and the pool
        fresh_ms, taken_ms = [], []
        for _ in range(rounds):
            fresh_ms.append(await timed_registration(session_factory, f"{uuid.uuid4().hex}@x.org"))
            taken_ms.append(await timed_registration(session_factory, taken))
        await engine.dispose()
    for label, values in (("new email (baseline)", fresh_ms), ("taken email", taken_ms)):
        quartiles = statistics.quantiles(values, n=4)
        print(
            f"{label:22} median {statistics.median(values):6.1f} ms  "
            f"quartiles {quartiles[0]:6.1f}-{quartiles[2]:6.1f} ms  ({rounds} runs)"
        )
    difference = statistics.median(taken_ms) - statistics.median(fresh_ms)
    print(
        f"taken minus new: {difference:+.1f} ms of a {statistics.median(fresh_ms):.1f} ms baseline"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    asyncio.run(main(parser.parse_args().rounds))
