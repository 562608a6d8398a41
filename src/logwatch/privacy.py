"""Keep client addresses out of everything logwatch holds, shows, sends or writes.

Three modes, chosen once at start and applied at ingestion, before a Record exists:

- ``off``  — addresses are kept as the log wrote them.
- ``mask`` — each address is cut to its network: IPv4 to /24 and IPv6 to /48 by default
  (``81.2.69.142`` → ``81.2.69.0``, ``2001:db8:85a3::7334`` → ``2001:db8:85a3::``). IPv4-mapped
  IPv6 (``::ffff:81.2.69.142``) is treated as the IPv4 address it is.
- ``hash`` — each address becomes a short keyed hash (``h:3fa2c9e1b0``): the same client has the
  same id all UTC day, so distinct clients can still be counted and drilled into, but the id
  cannot be turned back into an address without the key, and the key lives only in this
  process's memory. Ids change at UTC midnight and never match across runs.

Nothing here caches raw addresses: a cache keyed by the address would keep exactly what the
user asked us not to keep. The work is C-level (``inet_pton``/``inet_ntop``, blake2b), about a
microsecond per call, so no cache is needed (see benchmarks/privacy_bench.py).

Garbage never passes through: anything that is not an address masks to ``"invalid"``, so a value
like ``"81.2.69.142 junk"`` cannot smuggle the address it contains.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton
from typing import NoReturn

INVALID = "invalid"
MODES: tuple[str, ...] = ("off", "mask", "hash")
DEFAULT_V4_PREFIX = 24
DEFAULT_V6_PREFIX = 48

# Values that say "no client" rather than carrying one; they pass through every mode unchanged.
_NO_CLIENT = frozenset(("", "-"))
_V4_MAPPED = b"\x00" * 10 + b"\xff\xff"
_V4_MASKS = tuple((0xFFFFFFFF << (32 - p)) & 0xFFFFFFFF for p in range(33))
_V6_ALL = (1 << 128) - 1
_V6_MASKS = tuple((_V6_ALL << (128 - p)) & _V6_ALL for p in range(129))
_DAY = 86400


_SIX_TO_FOUR = b"\x20\x02"  # 6to4 addresses embed a whole IPv4 after these 16 bits


def _packed(ip: str) -> bytes | None:
    """The 4 or 16 bytes of an address, or None. IPv4-mapped IPv6 comes back as its 4 bytes.

    Accepts exactly what ``inet_pton`` accepts (no leading zeros, no short forms like ``1.2.3``,
    no surrounding spaces), plus an IPv6 zone id (dropped) and surrounding brackets.
    """
    try:
        return inet_pton(AF_INET, ip)
    except (OSError, ValueError):
        pass
    if ":" not in ip:
        return None
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    pct = ip.find("%")
    if pct > 0:
        ip = ip[:pct]
    try:
        packed = inet_pton(AF_INET6, ip)
    except (OSError, ValueError):
        return None
    if packed[:12] == _V4_MAPPED:
        return packed[12:]
    return packed


def canonical_ip(ip: str) -> str | None:
    """The canonical text of an address (mapped IPv4 unwrapped, zone dropped), or None."""
    packed = _packed(ip)
    if packed is None:
        return None
    return inet_ntop(AF_INET if len(packed) == 4 else AF_INET6, packed)


def check_prefixes(v4_prefix: int, v6_prefix: int) -> None:
    """Raise ValueError with a readable message unless the prefixes are usable."""
    if not (isinstance(v4_prefix, int) and 0 <= v4_prefix <= 32):
        raise ValueError(f"IPv4 mask prefix must be 0..32, got {v4_prefix!r}")
    if not (isinstance(v6_prefix, int) and 0 <= v6_prefix <= 128):
        raise ValueError(f"IPv6 mask prefix must be 0..128, got {v6_prefix!r}")


def mask_ip(ip: str, v4_prefix: int = DEFAULT_V4_PREFIX, v6_prefix: int = DEFAULT_V6_PREFIX) -> str:
    """Cut an address to its first `v4_prefix` / `v6_prefix` bits, written as an address.

    ``"-"`` and ``""`` (no client) come back unchanged; anything else that is not an address
    comes back as ``"invalid"``, never as the input.
    """
    packed = _packed(ip)
    if packed is None:
        return ip if ip in _NO_CLIENT else INVALID
    if len(packed) == 4:
        n = int.from_bytes(packed, "big") & _V4_MASKS[v4_prefix]
        return inet_ntop(AF_INET, n.to_bytes(4, "big"))
    if packed[:2] == _SIX_TO_FOUR:  # 2002:AABB:CCDD::/48 is the IPv4 AA.BB.CC.DD: cut that
        v6_prefix = min(v6_prefix, 16 + v4_prefix)
    n = int.from_bytes(packed, "big") & _V6_MASKS[v6_prefix]
    return inet_ntop(AF_INET6, n.to_bytes(16, "big"))


def parse_level(text: str) -> tuple[int, int]:
    """A mask level from config or the command line → (v4_prefix, v6_prefix).

    ``"24"`` sets IPv4 only (IPv6 keeps /48); ``"16/32"`` or ``"16,32"`` sets both. A leading
    ``/`` on a prefix is allowed (``"/24"``).
    """
    parts = [p for p in re.split(r"[/,\s]+", text) if p]
    nums = [int(p) for p in parts if p.isascii() and p.isdigit()]
    if len(nums) != len(parts):
        nums = []
    if len(nums) not in (1, 2):
        raise ValueError(
            f"anonymize level {text!r}: expected an IPv4 prefix like 24, or IPv4/IPv6 like 24/48"
        )
    v4 = nums[0]
    v6 = nums[1] if len(nums) == 2 else DEFAULT_V6_PREFIX
    check_prefixes(v4, v6)
    return v4, v6


class ClientHasher:
    """Short keyed ids for client addresses, stable within a UTC day, unlinkable across days.

    A random 32-byte secret is drawn from `secrets` when the hasher is made; each UTC day's key is
    derived from it (blake2b keyed with the secret, over the day number). Neither is ever written,
    printed, or pickled: ``repr`` hides them and pickling raises. Deriving (rather than drawing a
    fresh key each midnight) keeps ids consistent when lines from two days interleave (several
    files around midnight) and lets a backfill worker process produce the same ids as its parent.

    `now` is seconds since the epoch: pass the request's own time so a backfilled log hashes each
    line with the key of the day it was written; without it the clock is read.
    """

    __slots__ = ("_clock", "_day", "_day_key", "_secret")
    DIGEST_BYTES = 5  # 10 hex digits: ~1 expected collision per day only past a million clients

    def __init__(self, *, clock: Callable[[], float] = time.time, secret: bytes | None = None):
        if secret is None:
            secret = secrets.token_bytes(32)
        if not isinstance(secret, bytes) or not 16 <= len(secret) <= 64:
            raise ValueError("ClientHasher secret must be 16..64 bytes")
        self._secret = secret
        self._clock = clock
        self._day = -1
        self._day_key = b""

    def _key_for(self, day: int) -> bytes:
        if day != self._day:
            self._day_key = hashlib.blake2b(
                day.to_bytes(8, "big", signed=True), key=self._secret, person=b"logwatch-day"
            ).digest()
            self._day = day
        return self._day_key

    def hash(self, ip: str, now: float | None = None) -> str:
        """``"h:"`` + 10 hex digits for a client. ``"-"``/``""`` pass through unchanged.

        Textual variants of one address (``::ffff:1.2.3.4`` and ``1.2.3.4``, upper/lower case
        IPv6) get one id; a value that is not an address (a hostname) is hashed as written.
        """
        if ip in _NO_CLIENT:
            return ip
        day = int((self._clock() if now is None else now) // _DAY)
        key = self._key_for(day)
        # The packed bytes are the canonical form of an address; any other value (a hostname) is
        # hashed with a different salt, so a name can never take an address's id.
        packed = _packed(ip)
        if packed is not None:
            digest = hashlib.blake2b(packed, key=key, digest_size=self.DIGEST_BYTES)
        else:
            text = ip.strip().encode("utf-8", "surrogatepass")
            digest = hashlib.blake2b(text, key=key, digest_size=self.DIGEST_BYTES, salt=b"name")
        return "h:" + digest.hexdigest()

    def export_secret_for_worker(self) -> bytes:
        """The secret, to hand a backfill worker process through its pool initializer (memory
        only) so it produces the same ids. Never log, print or write it."""
        return self._secret

    def __repr__(self) -> str:
        return "ClientHasher(key=<hidden>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "ClientHasher holds a secret key and cannot be pickled; pass "
            "export_secret_for_worker() to a worker's initializer instead"
        )


class Anonymizer:
    """The one ingestion-time switch: ``apply(client)`` in every mode, ``geo_key`` for GeoIP.

    The pipeline calls ``apply`` on the client address (and ``scrub`` on free text that may hold
    addresses: X-Forwarded-For, malformed lines) before anything is stored, so the rest of the
    house only ever sees the result.
    """

    __slots__ = ("_hasher", "mode", "v4_prefix", "v6_prefix")

    def __init__(
        self,
        mode: str = "off",
        *,
        v4_prefix: int = DEFAULT_V4_PREFIX,
        v6_prefix: int = DEFAULT_V6_PREFIX,
        hasher: ClientHasher | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"anonymize mode must be one of {', '.join(MODES)}; got {mode!r}")
        check_prefixes(v4_prefix, v6_prefix)
        self.mode = mode
        self.v4_prefix = v4_prefix
        self.v6_prefix = v6_prefix
        self._hasher = (
            hasher if hasher is not None else (ClientHasher() if mode == "hash" else None)
        )

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def apply(self, ip: str, now: float | None = None) -> str:
        """What the house keeps for this client: the address, its network, or its keyed id."""
        if self.mode == "mask":
            return mask_ip(ip, self.v4_prefix, self.v6_prefix)
        if self.mode == "hash":
            assert self._hasher is not None
            return self._hasher.hash(ip, now)
        return ip

    def geo_key(self, ip: str) -> str:
        """The value to look up in GeoIP/ASN databases (and the key their cache holds).

        With anonymising on this is the masked network, never the full address: /24 and /48 are
        the smallest routed prefixes, so country and ASN answers are the same in practice.
        """
        if self.mode == "off":
            return ip
        return mask_ip(ip, self.v4_prefix, self.v6_prefix)

    def scrub(self, text: str, now: float | None = None) -> str:
        """Replace every address found in free text (X-Forwarded-For, a malformed line) by what
        ``apply`` makes of it. Over-inclusive by design: a version string shaped like an IPv4
        address is masked too, and text that looks like an IPv6 address but is none (cut short,
        a MAC address) is dropped rather than kept."""
        if self.mode == "off" or not text:
            return text

        def address(found: str) -> str:
            return self.apply(found, now) if _packed(found) is not None else INVALID

        def run(m: re.Match[str]) -> str:
            found = m.group()
            if not any(map(str.isdigit, found)):  # "Module::Build", "re:a:b:c": words
                return found
            if ":" not in found:  # a dotted quad: inet_pton refuses 999 or leading zeros, which
                return address(found)  # someone may still read as an address: drop those
            # As found, or without the colons a word left ("client:2001:db8::1" gives the run
            # ":2001:db8::1") or a sentence's full stop; whole, or as an unbracketed
            # "address:port".
            for core in dict.fromkeys(
                (found, found.lstrip(":"), found.rstrip("."), found.strip(":."))
            ):
                at = found.index(core)
                lead, trail = found[:at], found[at + len(core) :]
                if _packed(core) is not None:
                    return lead + self.apply(core, now) + trail
                host, _, port = core.rpartition(":")
                if port.isdigit() and len(port) <= 5 and _packed(host) is not None:
                    return f"{lead}{self.apply(host, now)}:{port}{trail}"
            core = found.lstrip(":")
            lead = found[: len(found) - len(core)]
            inside = _DOTTED_QUAD.sub(lambda q: address(q.group()), core)
            if inside.count(":") >= 4 or _LOOKS_V6.search(inside) is not None:
                return lead + INVALID
            return lead + inside  # "2000:13:55:36": a time of day, not an address

        return _ADDRESS_RUN.sub(run, text)

    def __repr__(self) -> str:
        levels = f"v4_prefix={self.v4_prefix}, v6_prefix={self.v6_prefix}"
        return f"Anonymizer(mode={self.mode!r}, {levels})"


def anonymizer_for(level: str | None, hashed: bool) -> Anonymizer | None:
    """The privacy switch as the command line or the config gives it: a mask level ("24,48"),
    hashing, or neither (None). Raises ValueError for a level that is no level: an empty one
    (`--anonymize-ip=` from an unset shell variable) asked for masking, and must not turn it off."""
    if level is None and not hashed:
        return None
    v4, v6 = parse_level(level) if level is not None else (DEFAULT_V4_PREFIX, DEFAULT_V6_PREFIX)
    return Anonymizer("hash" if hashed else "mask", v4_prefix=v4, v6_prefix=v6)


# Address candidates: runs of hex digits, colons and dots holding two colons or a dotted quad,
# with a zone id. A run may follow a word ("ip_2001:db8::1") or an escape ("\x00203.0.113.7":
# the line was escaped before it is scrubbed), so it has no boundary on its left; the digits and
# dots of a longer number are not an address ("1.2.3.4.5" is a version).
_ADDRESS_RUN = re.compile(
    r"(?:[0-9A-Fa-f]{0,4}:){2,}[0-9A-Fa-f.]*(?:%[\w.-]+)?"
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)"
    r"|(?<=\\x[0-9A-Fa-f]{2})\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)",
    re.ASCII,
)
_DOTTED_QUAD = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)", re.ASCII)
# What no time of day or plain number has: "::" or a hex letter (or five groups, counted).
_LOOKS_V6 = re.compile(r"::|[A-Fa-f]", re.ASCII)
