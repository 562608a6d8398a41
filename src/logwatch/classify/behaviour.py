"""A bounded table of recent clients, to catch robots whose agent lies.

One small list per client, in an OrderedDict used as an LRU with a cap; counters restart after
`horizon` seconds. A client is upgraded to bot on a probe hit, on many distinct 404s, on a page
rate no person produces, or on many pages without a single asset (judged only once the log has
shown any assets at all: a site whose assets live on a CDN has none in its log).
"""

from __future__ import annotations

from collections import OrderedDict

# Slots of a client's state list.
_START, _PAGES, _ASSETS, _RATE_START, _RATE_N, _NOTFOUND, _FLAG, _FLAG_TS, _FLAG_CAT = range(9)


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
        self.size = size
        self.horizon = horizon
        self.max_404s = max_404s
        self.rate_window = rate_window
        self.max_rate = max_rate
        self.max_pages_without_assets = max_pages_without_assets
        self.seen_assets = False
        self._table: OrderedDict[str, list] = OrderedDict()

    def __len__(self) -> int:
        return len(self._table)

    def _state(self, client: str, ts: float) -> list:
        table = self._table
        st = table.get(client)
        if st is None:
            st = [ts, 0, 0, ts, 0, None, None, 0.0, None]
            table[client] = st
            if len(table) > self.size:
                table.popitem(last=False)
            return st
        table.move_to_end(client)
        if ts - st[_START] > self.horizon:
            st[_START] = ts
            st[_PAGES] = st[_ASSETS] = 0
            st[_NOTFOUND] = None
            if st[_FLAG] is not None and ts - st[_FLAG_TS] > self.horizon:
                st[_FLAG] = st[_FLAG_CAT] = None
        return st

    def flag(self, client: str, ts: float, reason: str, category: str) -> None:
        """Mark a client as a robot from now on (for `horizon` seconds after the last mark)."""
        st = self._state(client, ts)
        st[_FLAG] = reason
        st[_FLAG_TS] = ts
        st[_FLAG_CAT] = category

    def observe(
        self, client: str, ts: float, is_asset: bool, status: int, path: str
    ) -> tuple[str, str] | None:
        """Count one request of a client that looks human; (reason, category) once it is a bot."""
        st = self._state(client, ts)
        if is_asset:
            st[_ASSETS] += 1
            self.seen_assets = True
        else:
            st[_PAGES] += 1
            if ts - st[_RATE_START] > self.rate_window:
                st[_RATE_START] = ts
                st[_RATE_N] = 0
            st[_RATE_N] += 1
            if status == 404:
                nf = st[_NOTFOUND]
                if nf is None:
                    nf = st[_NOTFOUND] = set()
                if len(nf) < self.max_404s:
                    nf.add(path)
            if st[_FLAG] is None:
                if st[_RATE_N] > self.max_rate:
                    self._set(st, ts, f"over {self.max_rate} pages in {self.rate_window:g} s → bot")
                elif st[_NOTFOUND] is not None and len(st[_NOTFOUND]) >= self.max_404s:
                    self._set(
                        st, ts, f"{self.max_404s} distinct 404s within {self.horizon:g} s → bot"
                    )
                elif (
                    st[_ASSETS] == 0
                    and st[_PAGES] >= self.max_pages_without_assets
                    and self.seen_assets
                ):
                    self._set(st, ts, f"{self.max_pages_without_assets} pages and no asset → bot")
        if st[_FLAG] is None:
            return None
        return st[_FLAG], st[_FLAG_CAT]

    @staticmethod
    def _set(st: list, ts: float, reason: str) -> None:
        st[_FLAG] = reason
        st[_FLAG_TS] = ts
        st[_FLAG_CAT] = "other"
