"""Country, network and claimed-bot checks on top of a Snapshot (issue 9).

`GeoEnricher(lookup)` is the `EngineOptions.enrich` hook and what `logwatch report --geoip`
applies to its final snapshot. It runs once per published snapshot (once a second live), so it
keeps each call cheap: answers are cached per client (bounded), and only the clients a snapshot
names are looked at — the top clients of every window and of the totals, the probing clients,
and the clients of the recent-request ring.

It adds to ``Snapshot.extra`` (plain, JSON-friendly data; every key on every snapshot, empty
(``{}``, ``[]``) when no client is located yet, so that JSON consumers see one schema):

- ``geo``: ``{client: GeoInfo.as_dict()}`` for those clients that a database knows;
- ``top_countries``: ``[{"country": "GB", "name": "United Kingdom", "hits": N}, ...]`` and
  ``top_networks``: ``[{"network": "AS20712 Andrews", "asn": 20712, "hits": N}, ...]``, the top 10,
  computed over the since-start **top clients** weighted by their hits (not over every request:
  the aggregator keeps clients in bounded top-k tables, so rare clients are not in the sum);
  ``geo_basis`` says what they were computed over: ``{"clients": n, "hits": n, "located": n}``;
- ``bot_claims``: ``{client: "unverified"}`` for recent bot requests whose user agent names a
  crawler operator (Googlebot, bingbot, GPTBot... see data/bot_networks.toml) while the address
  is outside that operator's networks: a claimed, unverified bot;
- ``bot_origins``: ``{bot name: {"country", "network", "requests", "unverified"}}`` over the
  recent requests of each bot (its most common country and network, how many of its requests
  came from outside its operator's networks), for the bots panel; the top 50 bots.

With ``--hash-clients`` the clients are ids that cannot be looked up; `IngestGeo` looks the cut
address up at ingestion instead and remembers ``id → GeoInfo`` (bounded), and the enricher is
given its ``get`` as the resolver.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from logwatch.geo import UNVERIFIED, GeoInfo, GeoLookup, verify_claim
from logwatch.model import Record, Verdict
from logwatch.privacy import Anonymizer
from logwatch.stats.snapshot import Snapshot

TOP = 10  # rows of top_countries / top_networks
MAX_CLAIMS = 100  # bot_claims entries per snapshot (the most recently added)
MAX_BOTS = 50  # bot_origins entries
DEFAULT_CACHE = 65536  # clients whose answer is remembered (>= the default recent ring)

Resolver = Callable[[str], GeoInfo | None]
_MISSING = object()


class _LRU:
    """A small bounded mapping: the oldest-used entry goes first."""

    __slots__ = ("_data", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self._data.get(key, _MISSING)
        if value is not _MISSING:
            self._data.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.size:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class IngestGeo:
    """For hashed client ids: look the cut address up while it is still at hand.

    ``transform`` is the pipeline's client transform (it returns what `Anonymizer.apply` gives);
    on the way it looks up `Anonymizer.geo_key` (the masked network, never the full address) and
    remembers ``id → GeoInfo`` in a bounded table. ``get`` answers the enricher from that table.
    """

    def __init__(self, anonymizer: Anonymizer, lookup: GeoLookup, size: int = DEFAULT_CACHE):
        self.anonymizer = anonymizer
        self.lookup = lookup
        self._known = _LRU(size)

    def transform(self, ip: str, now: float | None = None) -> str:
        out = self.anonymizer.apply(ip, now)
        if self._known.get(out) is _MISSING:
            # Uncached: the lookup's cache would keep the network the id stands for.
            self._known.put(out, self.lookup.lookup(self.anonymizer.geo_key(ip), cache=False))
        return out

    def get(self, client: str) -> GeoInfo | None:
        found = self._known.get(client)
        return None if found is _MISSING else found


class GeoEnricher:
    """``enricher(snapshot) -> snapshot`` with geo, top countries/networks and bot claims.

    The recent-request ring is followed incrementally: snapshots share the request objects of
    the aggregator's ring, so each call looks only at the requests that arrived since the last
    one and takes back those that left the ring (anything unexpected: start over). Per-client
    answers are cached, so a call costs about the new requests plus the top lists.
    """

    def __init__(
        self,
        lookup: GeoLookup,
        *,
        resolve: Resolver | None = None,
        cache_size: int = DEFAULT_CACHE,
        top: int = TOP,
    ) -> None:
        self.lookup = lookup
        self._resolve: Resolver = resolve if resolve is not None else lookup.lookup
        self._info = _LRU(cache_size)  # client -> (as_dict(), GeoInfo) or None
        self._claims = _LRU(cache_size)  # (client, bot name) -> verify_claim answer
        self.top = top
        self._reset()

    def _reset(self) -> None:
        # One entry per request of the ring: (pair, client, bot name or None, unverified,
        # country, network), and the counts they make.
        self._ring: deque[tuple[Any, str, str | None, bool, str, str]] = deque()
        self._in_ring: dict[str, int] = {}  # client -> requests in the ring
        self._geo: dict[str, dict[str, Any]] = {}  # located clients of the ring
        self._unverified: dict[str, int] = {}  # client -> unverified requests in the ring
        self._bots: dict[str, list[Any]] = {}  # name -> [n, unverified, Counter, Counter]

    def _entry(self, client: str) -> tuple[dict[str, Any], GeoInfo] | None:
        found = self._info.get(client)
        if found is _MISSING:
            info = self._resolve(client)
            found = None if info is None else (info.as_dict(), info)
            self._info.put(client, found)
        return found

    def _add(self, pair: tuple[Record, Verdict]) -> None:
        rec, v = pair
        client = rec.client
        found = self._entry(client)
        n = self._in_ring.get(client, 0)
        self._in_ring[client] = n + 1
        if n == 0 and found is not None:
            self._geo[client] = found[0]
        name: str | None = None
        unverified = False
        country = network = ""
        if v.cls == "bot":
            name = v.bot_name or v.bot_category or "other"  # as the aggregator names bots
            if found is not None:
                info = found[1]
                country = info.country or info.country_name or ""
                network = info.network or ""
            if v.bot_name:
                key = (client, v.bot_name)
                answer = self._claims.get(key)
                if answer is _MISSING:
                    answer = verify_claim(v.bot_name, found[1] if found else None)
                    self._claims.put(key, answer)
                unverified = answer == UNVERIFIED
            row = self._bots.get(name)
            if row is None:
                row = self._bots[name] = [0, 0, Counter(), Counter()]
            row[0] += 1
            row[2][country] += 1
            row[3][network] += 1
            if unverified:
                row[1] += 1
                self._unverified[client] = self._unverified.get(client, 0) + 1
        self._ring.append((pair, client, name, unverified, country, network))

    def _drop_oldest(self) -> None:
        _pair, client, name, unverified, country, network = self._ring.popleft()
        n = self._in_ring[client] - 1
        if n:
            self._in_ring[client] = n
        else:
            del self._in_ring[client]
            self._geo.pop(client, None)
        if name is not None:
            row = self._bots[name]
            row[0] -= 1
            _decrement(row[2], country)
            _decrement(row[3], network)
            if unverified:
                row[1] -= 1
                _decrement(self._unverified, client)
            if not row[0]:
                del self._bots[name]

    def _follow(self, recent: tuple[tuple[Record, Verdict], ...]) -> None:
        """Bring the ring state to `recent`: add what is new, drop what left."""
        ring = self._ring
        start = 0
        if ring:
            last = ring[-1][0]
            i = len(recent) - 1
            while i >= 0 and recent[i] is not last:
                i -= 1
            if i < 0:
                self._reset()
                ring = self._ring
            else:
                start = i + 1
        for k in range(start, len(recent)):
            self._add(recent[k])
        while len(ring) > len(recent):
            self._drop_oldest()
        if len(ring) != len(recent) or (ring and ring[0][0] is not recent[0]):
            self._reset()  # not the same ring (another pipeline, a merge): count afresh
            for pair in recent:
                self._add(pair)

    def __call__(self, snap: Snapshot) -> Snapshot:
        self._follow(snap.recent)
        geo = dict(self._geo)
        entry = self._entry
        for view in (snap.totals, *snap.windows.values()):
            for client in [c.client for c in view.top_clients] + [p.client for p in view.probes]:
                if client not in geo:
                    found = entry(client)
                    if found is not None:
                        geo[client] = found[0]
        claims = dict.fromkeys(list(self._unverified)[-MAX_CLAIMS:], UNVERIFIED)
        # Every key on every snapshot, empty until some client is located or claims a crawler:
        # `--headless` objects keep one schema from the first line on (a script reading
        # `.top_countries` must not find it missing for the first minutes).
        extra = dict(snap.extra)
        extra["geo"] = geo
        extra.update(self._tops(snap))
        extra["bot_claims"] = claims
        extra["bot_origins"] = _origins(self._bots)
        return dataclasses.replace(snap, extra=extra)

    def _tops(self, snap: Snapshot) -> dict[str, Any]:
        """Countries and networks over the since-start top clients, weighted by hits."""
        countries: dict[str, list[Any]] = {}
        networks: dict[str, list[Any]] = {}
        hits = located = 0
        clients = snap.totals.top_clients
        for c in clients:
            hits += c.hits
            found = self._entry(c.client)
            if found is None:
                continue
            info = found[1]
            if info.country or info.country_name:
                located += c.hits
                key = info.country or info.country_name or ""
                row = countries.setdefault(key, [info.country, info.country_name, 0])
                row[2] += c.hits
            network = info.network
            if network:
                row = networks.setdefault(network, [network, info.asn, 0])
                row[2] += c.hits
        top_c = sorted(countries.values(), key=lambda r: (-r[2], r[0] or r[1] or ""))[: self.top]
        top_n = sorted(networks.values(), key=lambda r: (-r[2], r[0]))[: self.top]
        return {
            "top_countries": [{"country": c, "name": n, "hits": h} for c, n, h in top_c],
            "top_networks": [{"network": n, "asn": a, "hits": h} for n, a, h in top_n],
            "geo_basis": {"clients": len(clients), "hits": hits, "located": located},
        }


def _decrement(counts: dict[str, int], key: str) -> None:
    n = counts[key] - 1
    if n:
        counts[key] = n
    else:
        del counts[key]


def _commonest(counts: Counter[str]) -> str | None:
    """The most frequent known value ("" is unknown), ties to the smallest."""
    best = min(((-n, k) for k, n in counts.items() if k), default=None)
    return best[1] if best else None


def _origins(bots: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (n, unverified, countries, networks) in sorted(
        bots.items(), key=lambda kv: (-kv[1][0], kv[0])
    )[:MAX_BOTS]:
        out[name] = {
            "country": _commonest(countries),
            "network": _commonest(networks),
            "requests": n,
            "unverified": unverified,
        }
    return out


def describe_client(snap: Snapshot, client: str) -> list[tuple[str, str]]:
    """(label, text) lines about where a client is, for a drill-down; [] without GeoIP."""
    out: list[tuple[str, str]] = []
    geo = snap.extra.get("geo")
    d = geo.get(client) if isinstance(geo, dict) else None
    if isinstance(d, dict):
        where = ", ".join(
            str(x) for x in (d.get("city"), d.get("country_name") or d.get("country")) if x
        )
        if d.get("country") and d.get("country_name"):
            where += f" ({d['country']})"
        if where:
            out.append(("country", where))
        network = geo_columns(snap, client)[1]
        if network:
            out.append(("network", network))
    if claimed(snap, client):
        out.append(("claim", "names a crawler but is not on its operator's network: unverified"))
    return out


def geo_columns(snap: Snapshot, client: str) -> tuple[str, str]:
    """(country, network) text for a client row, "" when unknown — for renderers."""
    geo = snap.extra.get("geo")
    if not isinstance(geo, dict):
        return "", ""
    d = geo.get(client)
    if not isinstance(d, dict):
        return "", ""
    country = d.get("country") or d.get("country_name") or ""
    asn, org = d.get("asn"), d.get("as_org")
    network = org or ""
    if asn is not None:
        network = f"AS{asn} {org}" if org else f"AS{asn}"
    return str(country), str(network)


def claimed(snap: Snapshot, client: str) -> bool:
    """True when the snapshot marks this client as a claimed, unverified crawler."""
    claims = snap.extra.get("bot_claims")
    return isinstance(claims, dict) and claims.get(client) == UNVERIFIED


__all__ = ["GeoEnricher", "IngestGeo", "claimed", "describe_client", "geo_columns"]
