"""The one owner of counts: rolling windows of time buckets, bounded top-k, latency histograms.

Layout of the state, all bounded by `StatsConfig`:

- a ring of one-second scalar buckets (requests by class and status class, probe hits, status
  codes, a latency histogram) covering twice the longest window, so every window, the window
  before it (for "change against the previous window") and the spike baseline are exact;
- rings of time slots holding the high-cardinality keys (paths, clients, bots, referrers,
  campaigns, probing clients) in bounded counters: 10-second slots for the last few minutes,
  one-minute slots up to the longest window; older slots fold into an archive that, with the
  rings, makes the since-start totals;
- a ring of the most recent requests (for the request stream, drill-downs and filters);
- exact monotonic counters (requests by source/class/status class, bots by category, probes by
  family, malformed by reason) for exporters.

Windows follow log time while reading history and the wall clock when live (`snapshot(now=...)`);
a line slightly out of order lands in the bucket of its own second.
"""

from __future__ import annotations

import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from heapq import merge as merge_sorted
from heapq import nsmallest
from typing import Any

from logwatch.model import BOT_CATEGORIES, CLASSES, Record, SourceState, Verdict
from logwatch.stats import quantiles
from logwatch.stats.quantiles import STANDARD, bin_of
from logwatch.stats.snapshot import (
    BotStat,
    ClientStat,
    PathStat,
    ProbeClientStat,
    Series,
    Snapshot,
    WindowView,
)
from logwatch.stats.topk import BoundedCounter, BoundedTable

DEFAULT_WINDOWS: tuple[tuple[str, int], ...] = (("1m", 60), ("5m", 300), ("15m", 900), ("1h", 3600))

FINE = 10  # seconds per fine slot
COARSE = 60  # seconds per coarse slot
_FINE_MAX_WINDOW = 300  # windows up to this length are built from fine slots

# Indexes into a one-second bucket.
_CLASS_INDEX = {"human": 0, "bot": 1, "asset": 2}
_S2, _S3, _S4, _S5, _SO, _PROBES, _CODES, _HIST, _BOTS = 3, 4, 5, 6, 7, 8, 9, 10, 11
_STATUS_INDEX = {2: _S2, 3: _S3, 4: _S4, 5: _S5}
# Status code → bucket index for every code a log can carry (parsers cap status at 3 digits).
_SIDX = tuple(_STATUS_INDEX.get(code // 100, _SO) for code in range(1000))
_STATUS_NAMES = ("2xx", "3xx", "4xx", "5xx", "other")
_SERIES_POINTS = 60


def parse_window(text: str) -> int:
    """'1m' → 60, '90s' → 90, '1h' → 3600."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    if text.isdigit():
        return int(text)
    raise ValueError(f"not a window length: {text!r} (use e.g. 1m, 5m, 15m, 1h)")


@dataclass(frozen=True, slots=True)
class StatsConfig:
    windows: tuple[tuple[str, int], ...] = DEFAULT_WINDOWS
    top_k: int = 2000  # keys kept per dimension in the since-start totals
    slot_top_k: int = 200  # keys kept per dimension in each time slot
    recent: int = 20000  # requests kept for the stream, drill-downs and filters
    probe_clients: int = 2000  # probing clients whose details are kept
    examples: int = 10  # malformed lines kept for display
    # How far past this machine's clock a line read as history may be dated and still move the
    # log's clock (a later one counts in the totals only). A year for `report` (another
    # machine's logs, tests' fixed times); the live engine, which ends on the wall clock, allows
    # a time zone's worth.
    history_ahead: float = 365 * 86400.0

    @property
    def longest(self) -> int:
        return max((s for _, s in self.windows), default=3600)


class Slot:
    """The high-cardinality keys of one stretch of time, each dimension bounded."""

    __slots__ = (
        "bots",
        "campaigns",
        "clients",
        "path_lat",
        "paths",
        "probe_clients",
        "probe_rules",
        "referrers",
    )

    def __init__(self, cap: int) -> None:
        self.paths: BoundedCounter[tuple[str, str, int]] = BoundedCounter(cap)
        self.path_lat: BoundedCounter[tuple[str, int]] = BoundedCounter(cap)
        # client → [hits, human, bot, asset, 4xx/5xx]
        self.clients: BoundedTable[str] = BoundedTable(cap)
        self.bots: BoundedCounter[tuple[str, str]] = BoundedCounter(cap)
        self.referrers: BoundedCounter[str] = BoundedCounter(cap)
        self.campaigns: BoundedCounter[str] = BoundedCounter(cap)
        self.probe_clients: BoundedCounter[str] = BoundedCounter(cap)
        self.probe_rules: dict[str, int] = {}

    def merge(self, other: Slot) -> None:
        # Most slots of a quiet log hold one or two keys: skip the empty dimensions.
        for mine, theirs in (
            (self.paths, other.paths),
            (self.path_lat, other.path_lat),
            (self.clients, other.clients),
            (self.bots, other.bots),
            (self.referrers, other.referrers),
            (self.campaigns, other.campaigns),
            (self.probe_clients, other.probe_clients),
        ):
            if theirs.data:
                mine.merge(theirs)  # type: ignore[arg-type]
        for k, n in other.probe_rules.items():
            self.probe_rules[k] = self.probe_rules.get(k, 0) + n


def _new_second() -> list[Any]:
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, {}, {}, {}]


def _add_second(into: list[Any], other: list[Any]) -> None:
    for i in range(_CODES):
        into[i] += other[i]
    codes = into[_CODES]
    for k, n in other[_CODES].items():
        codes[k] = codes.get(k, 0) + n
    quantiles.merge_into(into[_HIST], other[_HIST])
    if other[_BOTS]:
        bots = into[_BOTS]
        for k, n in other[_BOTS].items():
            bots[k] = bots.get(k, 0) + n


class _ProbeClient:
    __slots__ = ("first", "hits", "last", "last_path", "paths", "rules")

    def __init__(self, ts: float) -> None:
        self.hits = 0
        self.paths: set[int] = set()  # checksums of the distinct paths probed (up to 64)
        self.last_path = ""
        self.rules: set[str] = set()
        self.first = ts
        self.last = ts


_MAX_PROBE_PATHS = 64


def _request_time(pair: tuple[Record, Verdict]) -> float:
    return pair[0].ts


def _drop(_item: object) -> None:
    pass


# The second (and slot index, -1 // FINE) of lines counted before `Aggregator.archive_until`.
ARCHIVED = -1


class BatchCounts:
    """Requests of one batch counted in bulk, keyed by second or by 10-second slot index.

    Filled by the pipeline's fast lane with `collections.Counter` over per-line keys (a C loop),
    so a batch costs one dictionary update per distinct key in `Aggregator.add_counts`. No
    future dates come this way (`Aggregator.future_limit`), but in `probe_details`: the details
    of every probe of the batch, the general path's too, so that they keep line order."""

    __slots__ = (
        "bot_seconds",
        "bots",
        "campaigns",
        "clients",
        "latency",
        "newest",
        "oldest",
        "path_latency",
        "paths",
        "probe_details",
        "probes",
        "referrers",
        "seconds",
    )

    def __init__(self) -> None:
        self.seconds: Mapping[tuple[int, str, int], int] = {}  # (second, class, status)
        self.newest: dict[int, float] = {}  # second → its latest timestamp
        self.oldest: float | None = None
        self.latency: Mapping[tuple[int, int], int] = {}  # (second, latency bin)
        self.paths: Mapping[tuple[int, str, str, int], int] = {}  # (slot, path, class, status)
        self.clients: Mapping[tuple[int, str, str, int], int] = {}  # (slot, client, class, status)
        self.path_latency: Mapping[tuple[int, str, int], int] = {}  # humans: (slot, path, bin)
        self.referrers: Mapping[tuple[int, str], int] = {}  # humans: (slot, referrer)
        self.campaigns: Mapping[tuple[int, str], int] = {}  # humans: (slot, query with utm_)
        self.bots: Mapping[tuple[int, str, str], int] = {}  # (slot, name, category)
        self.bot_seconds: Mapping[tuple[int, str], int] = {}  # (second, category)
        self.probes: Mapping[int, int] = {}  # second → probe requests
        # Each probe in line order (the probing clients' table keeps order): slot, client, path,
        # ts, the rules it set off.
        self.probe_details: list[tuple[int, str, str, float, tuple[str, ...]]] = []


class Aggregator:
    """Counts requests. Feed it with `add`/`add_malformed`; read it only through `snapshot`."""

    def __init__(self, config: StatsConfig | None = None) -> None:
        self.config = config or StatsConfig()
        cfg = self.config
        self.format = ""
        self.other_formats: dict[str, int] = {}  # lines read by formats learned beside `format`
        self.lines = 0
        self.parsed = 0
        self.malformed = 0
        self.malformed_reasons: dict[str, int] = {}
        self.malformed_examples: list[tuple[str, str]] = []
        self.requests_by: dict[tuple[str, str, str], int] = {}
        self.bots_by: dict[str, int] = {}
        self.probes_by: dict[str, int] = {}
        self.first_ts: float | None = None
        self.now = 0.0  # the newest request time seen
        self._now_sec = -1
        self._clock_sec = -1  # the newest live clock a snapshot was taken at
        self._history_end = -1  # where the history being read ends, when known (`expect_until`)
        self._horizon = 2 * cfg.longest  # seconds of one-second buckets kept
        fine_windows = [s for _, s in cfg.windows if s <= _FINE_MAX_WINDOW]
        self._fine_span = (max(fine_windows) if fine_windows else 0) + FINE
        self.seconds: dict[int, list[Any]] = {}
        self._minute_sums: dict[int, list[Any]] = {}  # minute → its seconds added up (a cache)
        self._second_order: deque[int] = deque()  # creation order, mostly ascending: expiry queue
        self.archive_second = _new_second()
        self.fine: dict[int, Slot] = {}
        self.coarse: dict[int, Slot] = {}
        self.archive = Slot(cfg.top_k)
        self._fine_floor = 0  # first second that still belongs in a fine slot
        # Coarse slots hold only seconds before this (the highest fine floor so far: a merge
        # may move the floor back, not the slots' contents).
        self._coarse_end = 0
        self._coarse_floor = 0
        self._next_advance = 0
        self._cur_sec = -1
        self._cur_bucket: list[Any] = _new_second()
        self._cur_slot_index = -1
        self._cur_slot: Slot = self.archive
        # Bumped when coarse slots, the archive or a fine slot other than the newest change:
        # part of the key of every cached merge.
        self._version = 0
        self._newest_fine = -1  # the newest fine slot's index: the one written without a bump
        self._cache: dict[Any, Any] = {}
        self.recent: deque[tuple[Record, Verdict]] = deque(maxlen=cfg.recent)
        # The pipeline's fast lane keeps its last batch's requests as columns until the ring is
        # read: this turns them into Records (see `settle_recent`).
        self.pending_recent: Callable[[], None] | None = None
        self._ref_hosts: dict[str, str] = {}
        self.probe_details: OrderedDict[str, _ProbeClient] = OrderedDict()
        self.sources: tuple[SourceState, ...] = ()

    # --- feeding ---------------------------------------------------------------------------

    def add_malformed(self, reason: str, line: str = "") -> None:
        self.lines += 1
        self.malformed += 1
        self.malformed_reasons[reason] = self.malformed_reasons.get(reason, 0) + 1
        if len(self.malformed_examples) < self.config.examples:
            self.malformed_examples.append((reason, line[:300]))

    def add_other_format(self, name: str, lines: int = 1) -> None:
        """Lines read by another format than the run's first (they are added as usual)."""
        self.other_formats[name] = self.other_formats.get(name, 0) + lines

    def add(self, rec: Record, v: Verdict) -> None:
        self.add_many(((rec, v),))

    def add_many(
        self,
        items: Iterable[tuple[Record, Verdict]],
        *,
        keep_recent: bool = True,
        probe_details: bool = True,
    ) -> None:
        """Count requests. Attribute lookups are hoisted into locals and the bounded counters
        are updated inline (a prune runs only when one outgrows its limit). `keep_recent=False`
        when the caller puts the requests in the ring itself, `probe_details=False` when it
        hands the probes' details to `add_counts` (the fast lane, which keeps order)."""
        cur_sec = self._cur_sec
        bucket = self._cur_bucket
        cur_slot_index = self._cur_slot_index
        slot = self._cur_slot
        paths = slot.paths.data
        clients = slot.clients.data
        paths_limit = slot.paths.limit
        clients_limit = slot.clients.limit
        class_index = _CLASS_INDEX
        sidx_of = _SIDX
        per_source: dict[str, list[int]] = {}
        source = None
        source_counts = [0] * 24
        ref_hosts = self._ref_hosts
        if keep_recent:
            self.settle_recent()  # the fast lane's waiting requests come before these
        recent_append = self.recent.append if keep_recent else _drop
        count = 0
        newest = self.now  # the clock's second's lines skip `_bucket_for`: their times move it
        for rec, v in items:
            count += 1
            sec = int(rec.ts)
            if sec != cur_sec:
                bucket = self._bucket_for(sec, rec.ts)
                cur_sec = self._cur_sec
                if sec != cur_sec:
                    cur_sec = -1  # an old second: look it up again next time
                cur_slot_index = -1  # the rings may have moved: find the slot again
            elif rec.ts > newest:
                newest = rec.ts
            cls = v.cls
            ci = class_index[cls]
            bucket[ci] += 1
            status = rec.status
            sidx = sidx_of[status] if 0 <= status < 1000 else _SO
            bucket[sidx] += 1
            codes = bucket[_CODES]
            codes[status] = codes.get(status, 0) + 1
            if rec.source != source:
                source = rec.source
                source_counts = per_source.setdefault(source, [0] * 24)
            source_counts[ci * 8 + sidx] += 1
            rt = rec.request_time
            lat_bin = -1
            if rt is not None:
                lat_bin = bin_of(rt)
                hist = bucket[_HIST]
                hist[lat_bin] = hist.get(lat_bin, 0) + 1

            slot_index = sec // FINE
            if slot_index != cur_slot_index:
                slot = self._slot_for(sec)
                cur_slot_index = slot_index if self._cur_slot_index == slot_index else -1
                paths = slot.paths.data
                clients = slot.clients.data
                paths_limit = slot.paths.limit
                clients_limit = slot.clients.limit
            path = rec.path or rec.request
            key = (path, cls, sidx)
            n = paths.get(key)
            if n is None:
                paths[key] = 1
                if len(paths) > paths_limit:
                    slot.paths.prune()
            else:
                paths[key] = n + 1
            row = clients.get(rec.client)
            if row is None:
                row = clients[rec.client] = [1, 0, 0, 0, 0]
                row[1 + ci] = 1
                if sidx in (_S4, _S5):
                    row[4] = 1
                if len(clients) > clients_limit:
                    slot.clients.prune()
            else:
                row[0] += 1
                row[1 + ci] += 1
                if sidx in (_S4, _S5):
                    row[4] += 1
            if ci == 0:  # human
                if lat_bin >= 0:
                    slot.path_lat.add((path, lat_bin))
                ref = rec.referrer
                if ref:
                    host = ref_hosts.get(ref) or self._referrer_host(ref)
                    if host and host != rec.vhost:
                        slot.referrers.add(host)
                if "utm_" in rec.query:
                    campaign = campaign_of(rec.query)
                    if campaign:
                        slot.campaigns.add(campaign)
            elif ci == 1:  # bot
                category = v.bot_category or "other"
                slot.bots.add((v.bot_name or category, category))
                self.bots_by[category] = self.bots_by.get(category, 0) + 1
                by_category = bucket[_BOTS]
                by_category[category] = by_category.get(category, 0) + 1
            if v.probe:
                bucket[_PROBES] += 1
                if probe_details:
                    self._add_probe(slot, rec.client, path, rec.ts, v.probe_rules)
            recent_append((rec, v))
        if newest > self.now:
            self.now = newest
        self.lines += count
        self.parsed += count
        requests_by = self.requests_by
        for src, counts in per_source.items():
            for i, n in enumerate(counts):
                if n:
                    rkey = (src, CLASSES[i // 8], _STATUS_NAMES[i % 8 - _S2])
                    requests_by[rkey] = requests_by.get(rkey, 0) + n

    def _add_probe(
        self, slot: Slot, client: str, path: str, ts: float, rules: tuple[str, ...]
    ) -> None:
        slot.probe_clients.add(client)
        for rule in rules or ("probe",):
            slot.probe_rules[rule] = slot.probe_rules.get(rule, 0) + 1
            self.probes_by[rule] = self.probes_by.get(rule, 0) + 1
        details = self.probe_details.get(client)
        if details is None:
            details = self.probe_details[client] = _ProbeClient(ts)
            if len(self.probe_details) > self.config.probe_clients:
                self.probe_details.popitem(last=False)
        else:
            self.probe_details.move_to_end(client)
        details.hits += 1
        if len(details.paths) < _MAX_PROBE_PATHS and (
            path != details.last_path or details.hits == 1
        ):
            # Only counted: a checksum holds the place of the path (a stable one, so parts
            # counted in other processes merge right).
            details.paths.add(zlib.crc32(path.encode("utf-8", "surrogatepass")))
        details.last_path = path
        details.rules.update(rules)
        details.first = min(details.first, ts)
        details.last = max(details.last, ts)

    def add_counts(self, batch: BatchCounts, source: str) -> None:
        """Fold in requests counted in bulk (the pipeline's fast lane): the same figures `add`
        would produce for each of them, one dictionary update per distinct key."""
        # Seconds in time order, each counted as soon as its bucket is found: a later second may
        # advance the rings and fold the earlier buckets into the totals.
        per_second: dict[int, list[tuple[str, int, int]]] = {}
        for (sec, cls, status), n in batch.seconds.items():
            per_second.setdefault(sec, []).append((cls, status, n))
        latency: dict[int, list[tuple[int, int]]] = {}
        for (sec, lat_bin), n in batch.latency.items():
            latency.setdefault(sec, []).append((lat_bin, n))
        bot_seconds: dict[int, list[tuple[str, int]]] = {}
        for (sec, category), n in batch.bot_seconds.items():
            bot_seconds.setdefault(sec, []).append((category, n))
        if batch.oldest is not None and (self.first_ts is None or batch.oldest < self.first_ts):
            self.first_ts = batch.oldest
        class_index = _CLASS_INDEX
        per_source = [0] * 24
        total = 0
        probes = batch.probes
        # Seconds older than every ring (history before its known end, every line a new second
        # when the log is sparse) all count in the totals: the clock is moved once for them.
        ring = self.seconds
        old_limit = min(self._ring_reach(), int(self._future_limit()))
        newest_old: float | None = None  # the old seconds' latest time, until the clock has it
        for sec in sorted(per_second):  # ARCHIVED first
            if sec <= old_limit and sec not in ring:
                bucket = self.archive_second
                newest_old = batch.newest[sec]
                if self._minute_sums:
                    self._minute_sums.pop(sec // 60, None)
            else:
                if newest_old is not None:  # the clock first reaches the old seconds
                    self._bucket_for(int(newest_old), newest_old)
                    newest_old = None
                bucket = self._bucket_for(sec, batch.newest[sec])
            codes = bucket[_CODES]
            for cls, status, n in per_second[sec]:
                ci = class_index[cls]
                sidx = _SIDX[status] if 0 <= status < 1000 else _SO
                bucket[ci] += n
                bucket[sidx] += n
                codes[status] = codes.get(status, 0) + n
                per_source[ci * 8 + sidx] += n
                total += n
            if probes:
                bucket[_PROBES] += probes.get(sec, 0)
            hist = bucket[_HIST]
            for lat_bin, n in latency.get(sec, ()):
                hist[lat_bin] = hist.get(lat_bin, 0) + n
            by_category = bucket[_BOTS]
            for category, n in bot_seconds.get(sec, ()):
                by_category[category] = by_category.get(category, 0) + n
        if newest_old is not None:
            self._bucket_for(int(newest_old), newest_old)
        # Likewise slots: before the coarse floor (and no slot left there), the totals'.
        archived = self._archive_floor()
        slots: dict[int, Slot] = {}

        def slot_of(index: int) -> Slot:
            slot = slots.get(index)
            if slot is None:
                sec = index * FINE
                if sec < archived:
                    slot = slots[index] = self.archive
                    self._version += 1  # the totals change: cached views must go
                else:
                    slot = slots[index] = self._slot_for(sec)
            return slot

        # Paths and clients have a key per line or so: their counters are updated inline, the
        # slot looked up again only when the index changes (keys come in time order).
        sidx_of = _SIDX
        index_now = -1
        counter: BoundedCounter[Any] = self.archive.paths
        data: dict[Any, int] = counter.data
        for (index, path, cls, status), n in batch.paths.items():
            if index != index_now:
                index_now, counter = index, slot_of(index).paths
                data = counter.data
            key = (path, cls, sidx_of[status] if 0 <= status < 1000 else _SO)
            old = data.get(key)
            if old is None:
                data[key] = n
                if len(data) > counter.limit:
                    counter.prune()
            else:
                data[key] = old + n
        index_now = -1
        table: BoundedTable[str] = self.archive.clients
        rows: dict[str, list[int]] = table.data
        for (index, client, cls, status), n in batch.clients.items():
            if index != index_now:
                index_now, table = index, slot_of(index).clients
                rows = table.data
            row = rows.get(client)
            grew = row is None
            if row is None:
                row = rows[client] = [0, 0, 0, 0, 0]
            row[0] += n
            row[1 + class_index[cls]] += n
            if 400 <= status < 600:
                row[4] += n
            if grew and len(rows) > table.limit:
                table.prune()
        for (index, path, lat_bin), n in batch.path_latency.items():
            slot_of(index).path_lat.add((path, lat_bin), n)
        ref_hosts = self._ref_hosts
        for (index, ref), n in batch.referrers.items():
            host = ref_hosts.get(ref) or self._referrer_host(ref)
            if host:
                slot_of(index).referrers.add(host, n)
        for (index, query), n in batch.campaigns.items():
            campaign = campaign_of(query)
            if campaign:
                slot_of(index).campaigns.add(campaign, n)
        bots_by = self.bots_by
        for (index, name, category), n in batch.bots.items():
            slot_of(index).bots.add((name, category), n)
            bots_by[category] = bots_by.get(category, 0) + n
        now_sec = self._now_sec
        for index, client, path, ts, rules in batch.probe_details:
            # A general-path probe dated past the clock (refused by _bucket_for): the totals'.
            if int(ts) > now_sec:
                slot = self.archive
                self._version += 1  # the totals change: cached views must go
            else:
                slot = slot_of(index)
            self._add_probe(slot, client, path, ts, rules)
        self.lines += total
        self.parsed += total
        requests_by = self.requests_by
        for i, n in enumerate(per_source):
            if n:
                rkey = (source, CLASSES[i // 8], _STATUS_NAMES[i % 8 - _S2])
                requests_by[rkey] = requests_by.get(rkey, 0) + n

    def _referrer_host(self, ref: str) -> str:
        """The host of a referrer, remembered (a bounded cache: cleared when full)."""
        host = _referrer_host(ref)
        if len(self._ref_hosts) > 4096:
            self._ref_hosts.clear()
        self._ref_hosts[ref] = host
        return host

    def expect_until(self, ts: float) -> None:
        """Say that the history about to be read ends at `ts` (its last line's time).

        Lines older than every window then go straight to the since-start totals instead of
        through the rings of seconds and slots, to be folded there later: the same figures for
        less work (the bulk of a long log is older than the longest window).

        A time past `future_limit` is ignored: a line dated there counts in the totals only,
        so it is no end of what the windows hold, and taken as one it sent every line of the
        history to the totals (a forged line at a log's end emptied every window)."""
        if ts > self._future_limit():
            return
        sec = int(ts)
        if sec <= max(self._now_sec, self._history_end):
            return
        self._history_end = sec
        fine_floor, coarse_floor = self._floors(sec)
        self._fine_floor = max(self._fine_floor, fine_floor)
        self._coarse_end = max(self._coarse_end, self._fine_floor)
        self._coarse_floor = max(self._coarse_floor, coarse_floor)
        self._cur_slot_index = -1

    def archive_until(self) -> int:
        """Lines before this second count in the since-start totals only: older than the ring
        of seconds (and every second in it), than every slot, than any cached minute sum. A
        batch all before it may be counted under `ARCHIVED` for its second and its slot (the
        pipeline's fast lane does, reading a long history): fewer keys, the same figures."""
        limit = min(self._ring_reach() + 1, int(self._future_limit()) + 1, self._archive_floor())
        if self.seconds:
            limit = min(limit, min(self.seconds))
        if self._minute_sums:
            limit = min(limit, min(self._minute_sums) * 60)
        return limit

    def _archive_floor(self) -> int:
        """Slots starting before this second belong to the archive: the coarse floor, unless
        older slots are still in the rings (expect_until raised the floor before they folded)."""
        floor = self._coarse_floor
        if (self.fine and min(self.fine) * FINE < floor) or (
            self.coarse and min(self.coarse) * COARSE < floor
        ):
            return -(1 << 62)
        return floor

    def future_limit(self) -> int:
        """The last second a line may carry and move the clock (see `_future_limit`)."""
        return int(self._future_limit())

    def _bucket_for(self, sec: int, ts: float) -> list[Any]:
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if sec > self._now_sec:
            if sec > self._future_limit():
                # A line dated far ahead (a bad clock, a forged line) must not drag every window
                # into the future: it counts in the totals only.
                return self.archive_second
            self._now_sec = sec
            if ts > self.now:
                self.now = ts
            if sec >= self._next_advance:
                self._advance(sec)
        elif ts > self.now:
            self.now = ts
        if self._minute_sums:
            self._minute_sums.pop(sec // 60, None)  # a line into a minute summed already
        bucket = self.seconds.get(sec)
        if bucket is None:
            if sec <= self._ring_reach():
                # Too old for any window: it only counts in the totals.
                self._version += 1
                return self.archive_second
            bucket = self.seconds[sec] = _new_second()
            self._second_order.append(sec)
        if sec == self._now_sec:
            self._cur_sec = sec
            self._cur_bucket = bucket
        return bucket

    def _ring_reach(self) -> int:
        """The newest second too old for the ring of seconds: its lines count in the totals."""
        return max(self._now_sec, self._clock_sec, self._history_end) - self._horizon

    def _floors(self, top: int) -> tuple[int, int]:
        """The first seconds a fine and a coarse slot keep when the newest time is `top`."""
        return (
            ((top - self._fine_span) // FINE + 1) * FINE,
            ((top - self.config.longest - COARSE) // COARSE + 1) * COARSE,
        )

    def _future_limit(self) -> float:
        """The latest time a line may carry and still move the clock: five minutes past the
        live clock when there is one; reading history, `history_ahead` past this machine's time
        (a year, unless the live engine says less: a machine's clock may be off)."""
        if self._clock_sec >= 0:
            return self._clock_sec + 300
        return time.time() + self.config.history_ahead

    def _slot_for(self, sec: int) -> Slot:
        if sec > self._now_sec:  # refused by _bucket_for as too far ahead
            self._version += 1  # the totals change: cached views must go
            return self.archive
        index = sec // FINE
        slot = self.fine.get(index)
        if slot is None:
            if sec >= self._fine_floor:
                slot = self.fine[index] = Slot(self.config.slot_top_k)
                self._newest_fine = max(self._newest_fine, index)
            else:
                minute = sec // COARSE
                slot = self.coarse.get(minute)
                if slot is None:
                    if sec >= self._coarse_floor:
                        slot = self.coarse[minute] = Slot(self.config.slot_top_k)
                    else:
                        slot = self.archive
                self._version += 1
                return slot  # not cached: late lines are rare
        if index < self._newest_fine:
            self._version += 1  # a late line into a closed fine slot: merged views must go
        if index >= self._cur_slot_index:
            self._cur_slot_index = index
            self._cur_slot = slot
        return slot

    def _advance(self, sec: int) -> None:
        """Move the rings forward to `sec`: expire seconds, fold fine slots, archive old slots."""
        self._next_advance = (sec // FINE + 1) * FINE
        # The cached current second may be expired below: never write to a bucket that left.
        self._cur_sec = -1
        cutoff = sec - self._horizon
        order = self._second_order
        while order and order[0] <= cutoff:
            bucket = self.seconds.pop(order.popleft(), None)
            if bucket is not None:
                _add_second(self.archive_second, bucket)
        for minute in [m for m in self._minute_sums if m * 60 <= cutoff]:
            del self._minute_sums[minute]
        # History known to run on (`expect_until`) keeps the floors where its end puts them.
        self._fine_floor, self._coarse_floor = self._floors(max(sec, self._history_end))
        self._coarse_end = max(self._coarse_end, self._fine_floor)
        changed = False
        for index in [i for i in self.fine if i * FINE < self._fine_floor]:
            slot = self.fine.pop(index)
            minute = index * FINE // COARSE
            if minute * COARSE >= self._coarse_floor:
                target = self.coarse.get(minute)
                if target is None:
                    self.coarse[minute] = slot
                else:
                    target.merge(slot)
            else:
                self.archive.merge(slot)
            changed = True
        for minute in [m for m in self.coarse if m * COARSE < self._coarse_floor]:
            self.archive.merge(self.coarse.pop(minute))
            changed = True
        if changed:
            self._version += 1
        self._cur_slot_index = -1
        if sec < self._history_end:
            # History before its known end: the floors stay where the end puts them, so nothing
            # changes until a ring second or a cached minute expires, or the clock reaches the
            # end. (A sparse log, a line a minute, would otherwise advance on every line.)
            wake = self._history_end
            if order:
                wake = min(wake, order[0] + self._horizon)
            if self._minute_sums:
                wake = min(wake, min(self._minute_sums) * 60 + self._horizon)
            self._next_advance = max(self._next_advance, wake)

    def settle_recent(self) -> None:
        """Make the ring of recent requests complete before it is read."""
        if self.pending_recent is not None:
            self.pending_recent()

    def __getstate__(self) -> dict[str, Any]:
        # Pickled (a worker's part, going to the merge): settled, without the lane's hook.
        self.settle_recent()
        state = dict(self.__dict__)
        state["pending_recent"] = None
        return state

    # --- merging (parallel reading of one file) ----------------------------------------------

    def merge(self, other: Aggregator, *, later: bool = True) -> None:
        """Add another aggregator's counts (for example of another byte range of a file).

        `later`: other's lines all come after ours in the log (parts of a file merged in file
        order): its probers are then the most recent and its last paths the last ones, as one
        pass finds. Otherwise (history merged into a live count) time decides."""
        self.settle_recent()
        other.settle_recent()
        self.lines += other.lines
        self.parsed += other.parsed
        self.malformed += other.malformed
        for reason, n in other.malformed_reasons.items():
            self.malformed_reasons[reason] = self.malformed_reasons.get(reason, 0) + n
        room = self.config.examples - len(self.malformed_examples)
        self.malformed_examples.extend(other.malformed_examples[: max(room, 0)])
        _add_counts(self.requests_by, other.requests_by)
        _add_counts(self.bots_by, other.bots_by)
        _add_counts(self.probes_by, other.probes_by)
        _add_counts(self.other_formats, other.other_formats)
        if other.first_ts is not None and (self.first_ts is None or other.first_ts < self.first_ts):
            self.first_ts = other.first_ts
        self.format = self.format or other.format
        for sec, bucket in other.seconds.items():
            mine = self.seconds.get(sec)
            if mine is None:
                self.seconds[sec] = bucket
            else:
                _add_second(mine, bucket)
        self._second_order = deque(sorted(self.seconds))
        self._minute_sums.clear()
        _add_second(self.archive_second, other.archive_second)
        for ring_self, ring_other in ((self.fine, other.fine), (self.coarse, other.coarse)):
            for index, slot in ring_other.items():
                mine_slot = ring_self.get(index)
                if mine_slot is None:
                    ring_self[index] = slot
                else:
                    mine_slot.merge(slot)
        self._newest_fine = max(self.fine, default=-1)
        self._coarse_end = max(self._coarse_end, other._coarse_end)
        self.archive.merge(other.archive)
        for client, details in other.probe_details.items():
            mine_d = self.probe_details.get(client)
            if mine_d is None:
                self.probe_details[client] = details
            else:
                newer = later or details.last >= mine_d.last
                if newer:
                    self.probe_details.move_to_end(client)
                    mine_d.last_path = details.last_path
                mine_d.hits += details.hits
                for path in sorted(details.paths - mine_d.paths):  # new ones, up to the cap
                    if len(mine_d.paths) >= _MAX_PROBE_PATHS:
                        break
                    mine_d.paths.add(path)
                mine_d.rules.update(details.rules)
                mine_d.first = min(mine_d.first, details.first)
                mine_d.last = max(mine_d.last, details.last)
        while len(self.probe_details) > self.config.probe_clients:
            self.probe_details.popitem(last=False)
        if other.recent:  # most history pieces carry none
            # Each side keeps its own order (a late line stays where the log has it); the two
            # interleave by time: a history piece may land after live lines came in.
            combined = list(merge_sorted(self.recent, other.recent, key=_request_time))
            self.recent = deque(combined[-self.config.recent :], maxlen=self.config.recent)
        self._history_end = max(self._history_end, other._history_end)
        newest = max(self._now_sec, other._now_sec)
        self.now = max(self.now, other.now)
        self._now_sec = newest
        self._cur_sec = -1
        self._cur_slot_index = -1
        self._version += 1
        # Re-establish the ring invariants around the combined clock: whatever the other part
        # kept in its rings that is now too old folds into coarse slots or the archive.
        self._advance(newest)

    # --- reading -----------------------------------------------------------------------------

    def snapshot(
        self,
        now: float | None = None,
        *,
        mark: float | None = None,
        sources: Iterable[SourceState] = (),
        extra: dict[str, Any] | None = None,
    ) -> Snapshot:
        """Everything consumers may read, computed at `now` (default: the newest request time)."""
        self.settle_recent()
        clock = self.now if now is None else now
        if now is not None and int(now) > self._now_sec:
            self._clock_sec = max(self._clock_sec, int(now))
            self._advance(int(now))
        windows = {
            name: self._window(name, seconds, clock) for name, seconds in self.config.windows
        }
        totals = self._totals(clock)
        mark_views = None
        if mark is not None and mark <= clock:
            span = max(clock - mark, 1.0)
            mark_views = (
                mark,
                self._scalar_view("before", mark - span, mark),
                self._scalar_view("after", mark, clock),
            )
        counters: dict[str, dict[Any, int]] = {
            "requests": dict(self.requests_by),
            "bots": dict(self.bots_by),
            "probes": dict(self.probes_by),
            "malformed": dict(self.malformed_reasons),
            "formats": dict(self.other_formats),
        }
        return Snapshot(
            now=clock,
            format=self.format,
            lines=self.lines,
            parsed=self.parsed,
            malformed=self.malformed,
            malformed_reasons=dict(self.malformed_reasons),
            malformed_examples=tuple(self.malformed_examples),
            totals=totals,
            windows=windows,
            sources=tuple(sources) or self.sources,
            recent=tuple(self.recent),
            mark=mark_views,
            counters=counters,
            extra=extra or {},
            span=(self.first_ts, self.now) if self.first_ts is not None else None,
        )

    def _sum_seconds(self, start: float, end: float) -> list[Any]:
        """The one-second buckets in (start, end] added up: whole minutes from their cached
        sums (`_minute_sum`), the seconds at either edge one by one."""
        total = _new_second()
        lo, hi = int(start) + 1, int(end)
        first, last = -(-lo // 60), (hi + 1) // 60 - 1  # the whole minutes inside
        if first > last:
            self._add_seconds(total, lo, hi)
            return total
        self._add_seconds(total, lo, first * 60 - 1)
        for minute in range(first, last + 1):
            _add_second(total, self._minute_sum(minute))
        self._add_seconds(total, (last + 1) * 60, hi)
        return total

    def _add_seconds(self, total: list[Any], lo: int, hi: int) -> None:
        seconds = self.seconds
        if hi - lo + 1 > len(seconds):
            for sec, bucket in seconds.items():
                if lo <= sec <= hi:
                    _add_second(total, bucket)
        else:
            for sec in range(lo, hi + 1):
                found = seconds.get(sec)
                if found is not None:
                    _add_second(total, found)

    def _minute_sum(self, minute: int) -> list[Any]:
        """The sum of one minute's buckets. Kept once the minute is over (older than the
        newest line); a late line into it drops the sum (`_bucket_for`), as does expiry."""
        total = self._minute_sums.get(minute)
        if total is None:
            total = _new_second()
            self._add_seconds(total, minute * 60, minute * 60 + 59)
            # Minutes before the rings' reach (history older than its known end) hold nothing
            # and are not kept: each kept sum must wake _advance to drop it when it expires.
            if self._history_end - self._horizon < minute * 60 + 59 < self._now_sec:
                self._minute_sums[minute] = total
                # _advance drops it when it expires: make sure one comes by then.
                self._next_advance = min(self._next_advance, minute * 60 + self._horizon)
        return total

    def oldest_second(self) -> int | None:
        """The oldest second whose counts are still kept (None before any request)."""
        return min(self.seconds) if self.seconds else None

    def counts_at(self, now: float, windows: Mapping[str, float]) -> Snapshot:
        """The counts of `windows` (name → seconds) ending at `now`, a moment already read: no
        keys, series or ring, so cheap enough to take every few seconds of log time. What the
        alert rules measure when they step through history read between two snapshots."""
        views = {name: self._scalar_view(name, now - secs, now) for name, secs in windows.items()}
        longest = max(windows, key=windows.__getitem__)
        first = self.first_ts if self.first_ts is not None else now
        return Snapshot(
            now=now,
            format=self.format,
            lines=self.lines,
            parsed=self.parsed,
            malformed=self.malformed,
            malformed_reasons={},
            malformed_examples=(),
            totals=views[
                longest
            ],  # the rules read no further back; summing since start is not cheap
            windows=views,
            span=(first, now) if self.first_ts is not None else None,
        )

    def _scalar_view(self, name: str, start: float, end: float) -> WindowView:
        s = self._sum_seconds(start, end)
        return _scalar_window(name, max(end - start, 1e-9), s)

    def _window(self, name: str, seconds: int, now: float) -> WindowView:
        start = now - seconds
        s = self._sum_seconds(start, now)
        prev = self._sum_seconds(start - seconds, start)
        slots = self._slots_between(start, now, seconds)
        view = _scalar_window(name, float(seconds), s)
        return _with_keys(view, slots, self, prev[_CODES], self._series(start, now, seconds))

    def _slots_between(self, start: float, end: float, seconds: int) -> Slot:
        """The keys of the slots overlapping (start, end], merged. All but the newest fine slot
        are merged once and cached (a write to any of them bumps `_version`): a snapshot a
        second merges one fine slot into the cache, not the ninety of a 15-minute window."""
        cap = self.config.slot_top_k * 4
        # The window's seconds are int(start) + 1 .. int(end), as _sum_seconds counts them: a
        # slot ending at the second `start` falls in holds none of them.
        first = int(start) + 1
        fine_keys = sorted(i for i in self.fine if i * FINE + FINE > first and i * FINE <= end)
        # A coarse slot holds only what came before the fine floor (the rest of its minute is
        # in fine slots): the minute that straddles the floor overlaps a 5m window by its span,
        # not by its data, and brought in up to 50 s of older keys.
        top = self._coarse_end
        coarse_keys = [
            m for m in self.coarse if min(m * COARSE + COARSE, top) > first and m * COARSE <= end
        ]
        closed = tuple(fine_keys[:-1])
        cache_key = ("slots", seconds, tuple(coarse_keys), closed, self._version)
        base = self._cache.get(cache_key)
        if base is None:
            base = Slot(cap)
            for m in coarse_keys:
                base.merge(self.coarse[m])
            for i in closed:
                base.merge(self.fine[i])
            self._cache = {
                k: v for k, v in self._cache.items() if k[0] != "slots" or k[1] != seconds
            }
            self._cache[cache_key] = base
        merged = Slot(cap)
        merged.merge(base)
        if fine_keys:
            merged.merge(self.fine[fine_keys[-1]])
        return merged

    def _totals(self, now: float) -> WindowView:
        s = _new_second()
        _add_second(s, self.archive_second)
        if self.seconds:
            _add_second(s, self._sum_seconds(min(self.seconds) - 1, max(self.seconds)))
        cache_key = ("totals", self._version)
        base = self._cache.get(cache_key)
        if base is None:
            base = Slot(self.config.top_k)
            base.merge(self.archive)
            for slot in self.coarse.values():
                base.merge(slot)
            self._cache = {k: v for k, v in self._cache.items() if k[0] != "totals"}
            self._cache[cache_key] = base
        merged = Slot(self.config.top_k)
        merged.merge(base)
        for slot in self.fine.values():
            merged.merge(slot)
        span = (self.now - self.first_ts) if self.first_ts is not None else 0.0
        view = _scalar_window("all", max(span, 1.0), s)
        view = _with_keys(view, merged, self, {}, None)
        # Bots by category since start are exact counters, not sums over the bounded table of
        # bot names: with a small top_k (config) evicted names took their hits with them
        # (top_k = 1 reported no search, ai or seo bots at all).
        bots = dict.fromkeys(BOT_CATEGORIES, 0)
        bots.update(self.bots_by)
        return replace(view, bots=bots)

    def _series(self, start: float, end: float, seconds: int) -> Series:
        step = max(seconds / _SERIES_POINTS, 1.0)
        n = round(seconds / step)
        req = [0.0] * n
        cls_pts = [[0.0] * n for _ in range(3)]
        e4 = [0.0] * n
        e5 = [0.0] * n
        hists: list[dict[int, int]] = [{} for _ in range(n)]
        lo, hi = int(start) + 1, int(end)
        for sec in range(lo, hi + 1):
            bucket = self.seconds.get(sec)
            if bucket is None:
                continue
            i = min(int((sec - lo) / step), n - 1)
            total = bucket[0] + bucket[1] + bucket[2]
            req[i] += total
            for c in range(3):
                cls_pts[c][i] += bucket[c]
            e4[i] += bucket[_S4]
            e5[i] += bucket[_S5]
            if bucket[_HIST]:
                quantiles.merge_into(hists[i], bucket[_HIST])
        return Series(
            step=step,
            requests=tuple(x / step for x in req),
            human=tuple(x / step for x in cls_pts[0]),
            bot=tuple(x / step for x in cls_pts[1]),
            asset=tuple(x / step for x in cls_pts[2]),
            rate_4xx=tuple(e / r if r else 0.0 for e, r in zip(e4, req, strict=True)),
            rate_5xx=tuple(e / r if r else 0.0 for e, r in zip(e5, req, strict=True)),
            p95=tuple(quantiles.quantile(h, 0.95) if h else None for h in hists),
        )


def _scalar_window(name: str, seconds: float, s: list[Any]) -> WindowView:
    classes = {c: s[_CLASS_INDEX[c]] for c in CLASSES}
    status = {
        "2xx": s[_S2],
        "3xx": s[_S3],
        "4xx": s[_S4],
        "5xx": s[_S5],
    }
    if s[_SO]:
        status["other"] = s[_SO]
    # Bots by category from the same seconds as the counts: summed over the slots' bot tables,
    # a window's categories took in a partial slot before it (and lost names pruned from them).
    bots = dict.fromkeys(BOT_CATEGORIES, 0)
    bots.update(s[_BOTS])
    return WindowView(
        name=name,
        seconds=seconds,
        requests=s[0] + s[1] + s[2],
        classes=classes,
        status=status,
        codes=dict(s[_CODES]),
        probe_hits=s[_PROBES],
        latency=quantiles.quantiles(s[_HIST], STANDARD) if s[_HIST] else {},
        bots=bots,
    )


_TOP = 50  # rows of each top list a snapshot carries


def _with_keys(
    view: WindowView,
    slot: Slot,
    agg: Aggregator,
    codes_prev: dict[int, int],
    series: Series | None,
) -> WindowView:
    # Paths: (path, class, status index) → hits, folded per class and for all classes.
    per_class: dict[str, dict[str, list[int]]] = {c: {} for c in (*CLASSES, "all")}
    for (path, cls, sidx), n in slot.paths.data.items():
        for bucket_name in (cls, "all"):
            row = per_class[bucket_name].get(path)
            if row is None:
                row = per_class[bucket_name][path] = [0, 0, 0]
            row[0] += n
            if sidx == _S4:
                row[1] += n
            elif sidx == _S5:
                row[2] += n
    lat: dict[str, dict[int, int]] = {}
    for (path, b), n in slot.path_lat.data.items():
        h = lat.setdefault(path, {})
        h[b] = h.get(b, 0) + n
    top_paths: dict[str, tuple[PathStat, ...]] = {}
    for cls_name, rows in per_class.items():
        best = _most(rows, 0)
        top_paths[cls_name] = tuple(
            PathStat(
                path,
                r[0],
                r[1],
                r[2],
                quantiles.quantile(lat[path], 0.95)
                if cls_name == "human" and path in lat
                else None,
            )
            for path, r in best
        )
    # What is broken: the paths people (pages and assets, not bots) got 4xx on, most first
    # (broken links; bots' 404s are mostly probes), and the paths answered 5xx to anyone.
    people: dict[str, list[int]] = {}
    for cls_name in ("human", "asset"):
        for path, r in per_class[cls_name].items():
            if r[1]:
                row = people.setdefault(path, [0, 0, 0])
                for i in range(3):
                    row[i] += r[i]
    top_4xx = tuple(PathStat(path, r[0], r[1], r[2]) for path, r in _most(people, 1))
    top_5xx = tuple(PathStat(path, r[0], r[1], r[2]) for path, r in _most(per_class["all"], 2))
    clients = slot.clients.data  # client → [hits, human, bot, asset, errors]
    top_clients = _top_clients_of(clients, 0)
    # The class views list a class's own top clients: picked from the top by all requests, the
    # human view was empty whenever fifty bots outnumbered the busiest person.
    top_clients_by_class = {
        cls_name: _top_clients_of(clients, i)
        for cls_name, i in (("human", 1), ("bot", 2), ("asset", 3))
    }
    total = view.requests or 1
    top_bots = tuple(
        BotStat(name, category, n, n / total) for (name, category), n in slot.bots.top(_TOP)
    )
    probes = []
    for client, hits in slot.probe_clients.top(_TOP):
        d = agg.probe_details.get(client)
        if d is None:
            probes.append(ProbeClientStat(client, hits, 0, "", (), 0.0, 0.0))
        else:
            probes.append(
                ProbeClientStat(
                    client, hits, len(d.paths), d.last_path, tuple(sorted(d.rules)), d.first, d.last
                )
            )
    return WindowView(
        name=view.name,
        seconds=view.seconds,
        requests=view.requests,
        classes=view.classes,
        status=view.status,
        codes=view.codes,
        codes_prev=dict(codes_prev),
        bots=view.bots,
        top_bots=top_bots,
        probe_hits=view.probe_hits,
        probe_rules=dict(slot.probe_rules),
        probes=tuple(probes),
        probing=len(slot.probe_clients),
        top_paths=top_paths,
        top_4xx_paths=top_4xx,
        top_5xx_paths=top_5xx,
        top_clients=top_clients,
        top_clients_by_class=top_clients_by_class,
        top_referrers=tuple(slot.referrers.top(_TOP)),
        top_campaigns=tuple(slot.campaigns.top(_TOP)),
        latency=view.latency,
        series=series,
    )


def _most(rows: dict[str, list[int]], i: int) -> list[tuple[str, list[int]]]:
    """The _TOP rows with the most in column i (none with zero), most first, ties by key. The
    sort keys are built in one comprehension: a key function called per row made a snapshot's
    top lists a third of its time."""
    keyed = [(-r[i], key, r) for key, r in rows.items() if r[i]]
    return [(key, r) for _, key, r in nsmallest(_TOP, keyed)]


def _top_clients_of(clients: dict[str, list[int]], i: int) -> tuple[ClientStat, ...]:
    """The top clients by one column of their row (0 all, 1 human, 2 bot, 3 asset)."""
    return tuple(ClientStat(c, r[0], r[1], r[2], r[3], r[4]) for c, r in _most(clients, i))


def _add_counts(into: dict[Any, int], other: dict[Any, int]) -> None:
    for key, n in other.items():
        into[key] = into.get(key, 0) + n


def _referrer_host(ref: str) -> str:
    rest = ref.split("://", 1)[1] if "://" in ref else ref
    host = rest.split("/", 1)[0].split("?", 1)[0]
    return host[:128].lower()


def campaign_of(query: str) -> str:
    """The "source / campaign" a query's UTM tags name (the last of each, values cut to 64
    characters); "" when it has neither."""
    source = campaign = ""
    for part in query.split("&"):
        if part.startswith("utm_source="):
            source = part[11:75]
        elif part.startswith("utm_campaign="):
            campaign = part[13:77]
    if not source and not campaign:
        return ""
    return f"{source or '?'} / {campaign or '?'}"
