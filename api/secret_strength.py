"""Whether a signing secret looks random enough to sign tokens with in production.

Length alone lets "a" * 32 or "password" * 4 through. There is no way to measure the
entropy of one string, only to refuse what is plainly not random: this estimates it
from the string's own character frequencies (Shannon) and refuses keyboard-style runs
of neighbouring characters, which that estimate rates high. A secret from
`secrets.token_urlsafe(48)` scores about 340 bits; the floor is 128.
"""

import itertools
import math
from collections import Counter

MIN_SECRET_ENTROPY_BITS = 128
GENERATE_HINT = "generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"


def estimated_entropy_bits(secret: str) -> float:
    """Length times the Shannon entropy of the secret's own character distribution."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    length = len(secret)
    per_character = -sum(n / length * math.log2(n / length) for n in counts.values())
    return max(0.0, per_character * length)  # max: a one-character secret gives -0.0


def _mostly_a_run(secret: str) -> bool:
    """More than half the neighbours are consecutive code points ("abcdef", "987654")."""
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(secret)]
    return bool(steps) and sum(abs(step) == 1 for step in steps) * 2 > len(steps)


def weak_secret_reason(secret: str) -> str | None:
    """Why the secret must not be used in production, or None. Never quotes the secret."""
    if _mostly_a_run(secret):
        return "is a run of consecutive characters, not a random string"
    bits = estimated_entropy_bits(secret)
    if bits < MIN_SECRET_ENTROPY_BITS:
        return (
            f"looks far from random (about {bits:.0f} bits of entropy by its character "
            f"frequencies; at least {MIN_SECRET_ENTROPY_BITS} are required)"
        )
    return None
