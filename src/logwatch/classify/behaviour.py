"""A bounded table of recent clients, to catch robots whose agent lies.

One small list per client in a dict capped at `size`. Counters restart after `horizon` seconds. A
client is upgraded to bot on a probe hit, on many distinct 404s, on a page rate no person
produces, on many pages without a single asset, or on asking for /robots.txt before any asset (a
crawler's opening request under a browser's agent; a person who looks at the file has usually
loaded the site first). The two asset rules are judged only once the log has shown any assets at
all: a site whose assets live on a CDN has none in its log.

A client whose state can no longer matter (its counters would restart, its rate window is over,
no mark is live) is forgotten: each new client looks at the two oldest entries, drops the stale
ones and sends live ones to the back, so the table holds about the clients of the last `horizon`
seconds, not `size` of them whatever the traffic. Eviction at `size` is oldest-first with a second
chance for marked clients: a cheap stand-in for LRU that does not move every touched key. (An
OrderedDict, because popping the front of a plain dict again and again rescans the deleted slots:
quadratic under churn.)
"""

from __future__ import annotations

import zlib
from collections import OrderedDict

from logwatch.sanitize import KEEP_REQUEST

ROBOTS_TXT = "/robots.txt"
ROBOTS_REASON = "asked for /robots.txt before any asset → bot"

# Slots of a client's state list.
_START, _PAGES, _ASSETS, _RATE_START, _RATE_N, _NOTFOUND, _FLAG, _FLAG_TS, _FLAG_CAT = range(9)

State = list  # [start, pages, assets, rate_start, rate_n, notfound, flag, flag_ts, flag_cat]


class ClientTable:
    def __init__(
        self,
        size: int = 20_000,
        horizon: float = 600.0,
        max_404s: int = 20,
        rate_window: float = 60.0,
        max_rate: int = 300,
        max_pages_without_assets: int = 50,
    ) -> None:
        self.size = max(1, size)
        self.horizon = horizon
        self.max_404s = max_404s
        self.rate_window = rate_window
        self.max_rate = max_rate
        self.max_pages_without_assets = max_pages_without_assets
        self.seen_assets = False
        self._table: OrderedDict[str, State] = OrderedDict()

    def __len__(self) -> int:
        return len(self._table)

    def _evict(self, ts: float) -> None:
        table = self._table
        for _ in range(4):
            key, st = table.popitem(last=False)
            if st[_FLAG] is None or ts - st[_FLAG_TS] > self.horizon:
                return
            table[key] = st  # a marked client gets a second chance at the back
        table.popitem(last=False)

    def _expire(self, ts: float) -> None:
        """Forget up to two of the oldest entries if stale; move live ones to the back."""
        table = self._table
        for _ in range(2):
            if not table:
                return
            client = next(iter(table))
            st = table[client]
            if (
                ts - st[_START] > self.horizon
                and ts - st[_RATE_START] > self.rate_window
                and (st[_FLAG] is None or ts - st[_FLAG_TS] > self.horizon)
            ):
                del table[client]  # its next request would start it afresh anyway
            else:
                table.move_to_end(client)

    def _new(self, client: str, ts: float) -> State:
        self._expire(ts)
        if len(self._table) >= self.size:
            self._evict(ts)
        st: State = [ts, 0, 0, ts, 0, None, None, 0.0, None]
        self._table[client] = st
        return st

    def _restart(self, st: State, ts: float) -> None:
        st[_START] = ts
        st[_PAGES] = st[_ASSETS] = 0
        st[_NOTFOUND] = None
        if st[_FLAG] is not None and ts - st[_FLAG_TS] > self.horizon:
            st[_FLAG] = st[_FLAG_CAT] = None

    def flag(self, client: str, ts: float, reason: str, category: str) -> None:
        """Mark a client as a robot from now on (for `horizon` seconds after the last mark)."""
        st = self._table.get(client) or self._new(client, ts)
        st[_FLAG] = reason
        st[_FLAG_TS] = ts
        st[_FLAG_CAT] = category

    def flagged(self, client: str, ts: float) -> tuple[str, str] | None:
        """The mark on a client, if any, without counting a request."""
        st = self._table.get(client)
        if st is None or st[_FLAG] is None or ts - st[_FLAG_TS] > self.horizon:
            return None
        return st[_FLAG], st[_FLAG_CAT]

    def observe(
        self, client: str, ts: float, is_asset: bool, status: int, path: str
    ) -> tuple[str, str] | None:
        """Count one request of a client that looks human; (reason, category) once it is a bot."""
        table = self._table
        st = table.get(client)
        if st is None:
            # a client's first request: nothing to judge yet, so the cheapest path
            self._expire(ts)
            if len(table) >= self.size:
                self._evict(ts)
            if is_asset:
                table[client] = [ts, 0, 1, ts, 0, None, None, 0.0, None]
                self.seen_assets = True
            else:
                nf = {_notfound_key(path)} if status == 404 else None
                table[client] = st = [ts, 1, 0, ts, 1, nf, None, 0.0, None]
                if path == ROBOTS_TXT and self.seen_assets:
                    st[_FLAG], st[_FLAG_TS], st[_FLAG_CAT] = ROBOTS_REASON, ts, "other"
                    return ROBOTS_REASON, "other"
            return None
        if ts - st[_START] > self.horizon:
            self._restart(st, ts)
        if is_asset:
            st[_ASSETS] += 1
            self.seen_assets = True
        else:
            st[_PAGES] += 1
            if ts - st[_RATE_START] > self.rate_window:
                st[_RATE_START] = ts
                st[_RATE_N] = 1
            else:
                st[_RATE_N] += 1
            if status == 404:
                nf = st[_NOTFOUND]
                if nf is None:
                    nf = st[_NOTFOUND] = set()
                if len(nf) < self.max_404s:
                    nf.add(_notfound_key(path))
            if st[_FLAG] is None:
                self._judge(st, ts, path)
        if st[_FLAG] is None:
            return None
        if ts - st[_FLAG_TS] > self.horizon:
            st[_FLAG] = st[_FLAG_CAT] = None
            return None
        return st[_FLAG], st[_FLAG_CAT]

    def _judge(self, st: State, ts: float, path: str) -> None:
        reason = None
        if path == ROBOTS_TXT and st[_ASSETS] == 0 and self.seen_assets:
            reason = ROBOTS_REASON
        elif st[_RATE_N] > self.max_rate:
            reason = f"over {self.max_rate} pages in {self.rate_window:g} s → bot"
        elif st[_NOTFOUND] is not None and len(st[_NOTFOUND]) >= self.max_404s:
            reason = f"{self.max_404s} distinct 404s within {self.horizon:g} s → bot"
        elif st[_ASSETS] == 0 and st[_PAGES] >= self.max_pages_without_assets and self.seen_assets:
            reason = f"{self.max_pages_without_assets} pages and no asset → bot"
        if reason is not None:
            st[_FLAG] = reason
            st[_FLAG_TS] = ts
            st[_FLAG_CAT] = "other"


def _notfound_key(path: str) -> str | int:
    """What a client's set of distinct 404s holds for `path`: a long path (hostile, up to
    sanitize.MAX_PATH) by its hash, so 20 of them for each of 20,000 clients do not hold 800 MB;
    distinct paths stay distinct, however long the start they share. A CRC, not hash(): the
    same in every process (hash() is salted per process, and a table is handed to the worker
    processes that read history, pickled), as the probing clients' paths are kept."""
    return path if len(path) <= KEEP_REQUEST else zlib.crc32(path.encode("utf-8", "surrogatepass"))
