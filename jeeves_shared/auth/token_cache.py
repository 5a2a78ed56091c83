"""Remember the claims of tokens already verified, until they expire.

Every request of a client carries the same token until it is renewed, and checking its RS256
signature again each time was most of the cost of authentication. An entry is found only by
the exact token string, so a token differing in any byte is verified from scratch; it is
dropped once the token's ``exp`` (plus the verifier's leeway) has passed, and the least
recently used entry makes room when the cache is full.

The bounded LRU map is :class:`cachetools.LRUCache`. Expiry stays here rather than in a
``TLRUCache``: that cache silently forgets an expired entry, which would send the token to a full
verification whose expiry check uses PyJWT's own clock, not the verifier's; checking ``exp`` on
the way out rejects the token the moment it expires, by the clock the verifier was given.
"""

from __future__ import annotations

from cachetools import LRUCache

from jeeves_shared.auth.claims import Claims
from jeeves_shared.auth.errors import InvalidToken

#: Distinct tokens remembered per verifier (well under 10 MB at ~1 KiB a token).
DEFAULT_MAX_ENTRIES = 10_000


class TokenCache:
    """A bounded LRU map from token string to its verified :class:`Claims`."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES, leeway: float = 0.0) -> None:
        if max_entries < 1:
            raise ValueError("a token cache must hold at least one entry")
        self.max_entries = max_entries
        self.leeway = leeway
        self._entries: LRUCache[str, Claims] = LRUCache(maxsize=max_entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, *, now: float) -> Claims | None:
        """The claims of ``token`` if it is remembered, ``None`` if not.

        A remembered token that has expired at ``now`` (PyJWT's rule: ``exp <= now - leeway``)
        is forgotten and rejected with :class:`InvalidToken`, as verifying it again would be.
        """
        claims = self._entries.get(token)  # a hit makes the entry the most recently used
        if claims is None:
            return None
        if claims.expires_at <= now - self.leeway:
            del self._entries[token]
            raise InvalidToken("token expired")
        return claims

    def put(self, token: str, claims: Claims) -> None:
        """Remember ``claims`` as the verified content of ``token``."""
        self._entries[token] = claims

    def clear(self) -> None:
        """Forget every token (the trusted keys changed)."""
        self._entries.clear()
