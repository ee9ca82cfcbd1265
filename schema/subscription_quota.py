"""A cap on the subscriptions one user holds open on one process.

Each open subscription costs memory (its websocket's buffers, a bus queue, a follower)
for as long as the client keeps it; without a cap one account could hold thousands.
Counted per process: a load balancer spreads a user's sockets, and a count shared
through the database would cost a write per subscribe and leak on a crash.
"""

from collections import Counter

from db.errors import RateLimited


class SubscriptionQuota:
    """At most `max_per_user` subscriptions open at once per user on this process."""

    def __init__(self, max_per_user: int) -> None:
        self.max_per_user = max_per_user
        self._open: Counter[int] = Counter()

    def open_for(self, user_id: int) -> int:
        return self._open[user_id]

    def claim(self, user_id: int) -> None:
        """Takes one of the user's slots; RATE_LIMITED when none is free."""
        if self._open[user_id] >= self.max_per_user:
            raise RateLimited(
                f"you have {self.max_per_user} subscriptions open on this server (at most "
                f"{self.max_per_user}); close one before opening another",
                limit=self.max_per_user,
            )
        self._open[user_id] += 1

    def release(self, user_id: int) -> None:
        """Gives back a slot `claim` took."""
        self._open[user_id] -= 1
        if not self._open[user_id]:
            del self._open[user_id]  # no entry left behind per user ever seen
