"""Country, network and claimed-bot checks on top of a Snapshot (issue 9).

`GeoEnricher(lookup)` is the `EngineOptions.enrich` hook and what `logwatch report --geoip`
applies to its final snapshot. It runs once per published snapshot (once a second live), so it
keeps each call cheap: answers are cached per client (bounded), and only the clients a snapshot
names are looked at — the top clients of every window and of the totals, the probing clients,
and the clients of the recent-request ring.

It adds to ``Snapshot.extra`` (plain, JSON-friendly data; nothing when no client is located):

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
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from logwatch.geo import UNVERIFIED, GeoInfo, GeoLookup, verify_claim
from logwatch.privacy import Anonymizer
from logwatch.stats.snapshot import Snapshot

TOP = 10  # rows of top_countries / top_networks
MAX_CLAIMS = 100  # bot_claims entries per snapshot, newest first
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

    def transform(self, ip: str) -> str:
        out = self.anonymizer.apply(ip)
        if self._known.get(out) is _MISSING:
            self._known.put(out, self.lookup.lookup(self.anonymizer.geo_key(ip)))
        return out

    def get(self, client: str) -> GeoInfo | None:
        found = self._known.get(client)
        return None if found is _MISSING else found


class GeoEnricher:
    """``enricher(snapshot) -> snapshot`` with geo, top countries/networks and bot claims."""

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

    def _entry(self, client: str) -> tuple[dict[str, Any], GeoInfo] | None:
        found = self._info.get(client)
        if found is _MISSING:
            info = self._resolve(client)
            found = None if info is None else (info.as_dict(), info)
            self._info.put(client, found)
        return found

    def __call__(self, snap: Snapshot) -> Snapshot:
        geo: dict[str, dict[str, Any]] = {}
        entry = self._entry

        def note(clients: Iterable[str]) -> None:
            for client in clients:
                if client not in geo:
                    found = entry(client)
                    if found is not None:
                        geo[client] = found[0]

        views = (snap.totals, *snap.windows.values())
        for view in views:
            note(c.client for c in view.top_clients)
            note(p.client for p in view.probes)
        claims: dict[str, str] = {}
        seen: set[str] = set()
        # name -> [requests, unverified, Counter(country), Counter(network)]
        bots: dict[str, list[Any]] = {}
        # Newest first, so the claims kept under MAX_CLAIMS are the latest ones.
        for rec, v in reversed(snap.recent):
            client = rec.client
            if client in seen:
                if v.cls != "bot":
                    continue
                found = entry(client)
            else:
                seen.add(client)
                found = entry(client)
                if found is not None:
                    geo[client] = found[0]
                if v.cls != "bot":
                    continue
            name = v.bot_name or v.bot_category or "other"  # as the aggregator names bots
            row = bots.get(name)
            if row is None:
                row = bots[name] = [0, 0, Counter(), Counter()]
            row[0] += 1
            if found is not None:
                info = found[1]
                row[2][info.country or info.country_name or ""] += 1
                row[3][info.network or ""] += 1
            if not v.bot_name:
                continue
            key = (client, v.bot_name)
            answer = self._claims.get(key)
            if answer is _MISSING:
                answer = verify_claim(v.bot_name, found[1] if found else None)
                self._claims.put(key, answer)
            if answer == UNVERIFIED:
                row[1] += 1
                if len(claims) < MAX_CLAIMS:
                    claims[client] = UNVERIFIED
        if not geo and not claims:
            return snap
        extra = dict(snap.extra)
        if geo:
            extra["geo"] = geo
            extra.update(self._tops(snap))
        if claims:
            extra["bot_claims"] = claims
        if bots:
            extra["bot_origins"] = _origins(bots)
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


def _origins(bots: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (n, unverified, countries, networks) in sorted(
        bots.items(), key=lambda kv: (-kv[1][0], kv[0])
    )[:MAX_BOTS]:
        countries.pop("", None)
        networks.pop("", None)
        out[name] = {
            "country": countries.most_common(1)[0][0] if countries else None,
            "network": networks.most_common(1)[0][0] if networks else None,
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
