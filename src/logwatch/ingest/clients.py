"""One client, one key: an IPv6 address has many spellings, the house counts it under one.

``2001:DB8::1``, ``2001:db8::1``, ``2001:db8:0:0::1`` and ``[2001:db8::1]`` are one client;
so are ``::ffff:192.0.2.7`` and ``192.0.2.7``. Without anonymising, the client as logged is the
key of the behaviour table, the top clients and the probing clients, so each spelling would be
a client of its own. (The anonymiser's masks and hashes are canonical already: with it on, this
module is not used, and no raw address is cached.)

The cost falls on IPv6 alone: a value without ``:`` (IPv4, a hostname) is returned as it is,
and an IPv6 client's canonical text is cached, as a busy log repeats its clients. Values that
are no address (garbage, ``host:port``) are kept as written, as before.
"""

from __future__ import annotations

from functools import lru_cache

from logwatch.privacy import canonical_ip

# The longest address text with brackets and a zone id fits; longer values (hostile) are no
# address worth a cache entry, and are canonicalised (or not) each time.
_CACHED_LEN = 64


def normal_client(client: str) -> str:
    """The client's canonical text if it is an IPv6 address (or IPv4 written as one), else
    the client unchanged."""
    if ":" not in client:
        return client
    if len(client) > _CACHED_LEN:
        return _canonical(client)
    return _cached(client)


def _canonical(client: str) -> str:
    canonical = canonical_ip(client)
    return client if canonical is None else canonical


_cached = lru_cache(maxsize=16384)(_canonical)
