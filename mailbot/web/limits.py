"""How often sign-in links may be asked for: per address typed and per client, in a moving
window kept in memory (the `limits` library). A restart forgets the counts; the per-address
rule is also backed by the links stored in the database (signin.py)."""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

PER_ADDRESS = "3/15minutes"
PER_CLIENT = "10/15minutes"


class SignInLimits:
    def __init__(self, per_address: str = PER_ADDRESS, per_client: str = PER_CLIENT):
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_address: RateLimitItem = parse(per_address)
        self.per_client: RateLimitItem = parse(per_client)

    def address_allowed(self, address: str) -> bool:
        return self.limiter.hit(self.per_address, "address", address.strip().lower())

    def client_allowed(self, client: str) -> bool:
        return self.limiter.hit(self.per_client, "client", client)
