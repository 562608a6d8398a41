"""The panels of the main screen. Each turns a ViewState into keyed rows; nothing here does I/O."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.text import Text

from logwatch.model import Record, Verdict
from logwatch.tui.drilldata import bot_key, path_key
from logwatch.tui.render import delta, fmt_clock, num, pct, safe, secs
from logwatch.tui.state import ViewState
from logwatch.tui.widgets.table import Col, KeyedTable, Row


class Panel(KeyedTable):
    can_focus = True
    # What an empty panel says once requests are coming in and no filter is set.
    EMPTY: ClassVar[str] = "none in the last {window}"

    def build_rows(self, vs: ViewState) -> list[Row]:
        raise NotImplementedError

    def empty_reason(self, vs: ViewState) -> str:
        if not vs.snapshot.parsed:
            if any(_skipped_history(s.extra) for s in vs.snapshot.sources):
                # `logwatch old.log` reads from --since (1h): an old log showed empty panels
                # with no word on why.
                return "none since --since; older lines skipped (--since all reads them)"
            return "no requests read yet"
        if vs.filter_text:
            return "nothing here matches the filter"
        return self.EMPTY.format(window=vs.window)

    def title_extra(self, vs: ViewState) -> str:
        return ""

    def refresh_from(self, vs: ViewState) -> None:
        from logwatch.tui import geocols  # country/network columns, when GeoIP is on

        self.set_empty_text(self.empty_reason(vs))
        self.sync(geocols.extend(self, self.build_rows(vs), vs))
        self._update_title(self.title_extra(vs))


def _skipped_history(extra: dict[str, object]) -> bool:
    return bool(extra.get("before_since_bytes") or extra.get("before_since_lines"))


class PathsPanel(Panel):
    TITLE = "Top paths"
    DRILL = "path"
    COLUMNS: ClassVar = (
        Col("path", "Path", 12, flex=True),
        Col("hits", "Hits", 6),
        Col("4xx", "4xx", 5),
        Col("5xx", "5xx", 5),
        Col("p95", "p95", 6),
    )
    SORTS: ClassVar = (
        ("hits", 0, True),
        ("5xx", 1, True),
        ("4xx", 2, True),
        ("p95", 3, True),
        ("path", 4, False),
    )

    def title_extra(self, vs: ViewState) -> str:
        return vs.path_class

    def build_rows(self, vs: ViewState) -> list[Row]:
        stats = vs.view.top_paths.get(vs.path_class, ())
        return [
            Row(
                p.path,
                (
                    safe(p.path),
                    num(p.hits),
                    pct(p.rate_4xx, 0.05, 0.25),
                    pct(p.rate_5xx, 0.01, 0.05),
                    secs(p.p95),
                ),
                (p.hits, p.rate_5xx, p.rate_4xx, p.p95, p.path),
            )
            for p in stats
        ]


class CodesPanel(Panel):
    TITLE = "Status codes"
    DRILL = "status"
    COLUMNS: ClassVar = (
        Col("code", "Code", 4),
        Col("hits", "Hits", 6, flex=True),
        Col("share", "Share", 5),
        Col("prev", "Prev", 6),
        Col("delta", "Δ", 5),
    )
    SORTS: ClassVar = (("hits", 0, True), ("code", 1, False), ("change", 2, True))

    def title_extra(self, vs: ViewState) -> str:
        if vs.snapshot.mark is not None:
            return f"since mark {fmt_clock(vs.snapshot.mark[0], vs.tz)}"
        return ""

    def build_rows(self, vs: ViewState) -> list[Row]:
        mark = vs.snapshot.mark
        if mark is not None:
            # Around a mark the windows differ in length, so compare rates per minute.
            _, before, after = mark
            self.set_column_label("hits", "After/m")
            self.set_column_label("prev", "Bef/m")
            now_codes = {c: n * 60.0 / max(after.seconds, 1.0) for c, n in after.codes.items()}
            prev_codes = {c: n * 60.0 / max(before.seconds, 1.0) for c, n in before.codes.items()}
            total = sum(after.codes.values()) or 1
            shares = {c: n / total for c, n in after.codes.items()}
        else:
            self.set_column_label("hits", "Hits")
            self.set_column_label("prev", "Prev")
            w = vs.view
            now_codes = {c: float(n) for c, n in w.codes.items()}
            prev_codes = {c: float(n) for c, n in w.codes_prev.items()}
            total = w.requests or 1
            shares = {c: n / total for c, n in w.codes.items()}
        out = []
        for code in sorted(set(now_codes) | set(prev_codes)):
            n, p = now_codes.get(code, 0.0), prev_codes.get(code, 0.0)
            style = "bold red" if code >= 500 else "yellow" if code >= 400 else ""
            change = (n - p) / p if p else (1e9 if n else 0.0)
            out.append(
                Row(
                    str(code),
                    (
                        Text(str(code), style=style),
                        num(round(n, 1) if mark else int(n)),
                        pct(shares.get(code, 0.0)),
                        num(round(p, 1) if mark else int(p)),
                        delta(n, p, higher_is_bad=code >= 400),
                    ),
                    (n, code, change),
                )
            )
        out.sort(key=lambda r: -r.sort[0])
        return out


class ProbesPanel(Panel):
    TITLE = "Suspicious probes"
    EMPTY = "no probes in the last {window}"
    DRILL = "client"
    COLUMNS: ClassVar = (
        Col("client", "Client", 15),
        Col("hits", "Hits", 4),
        Col("paths", "Paths", 5),
        Col("last", "Last path", 10, flex=True),
        Col("rules", "Rules", 12),
        Col("first", "First", 8),
        Col("seen", "Last", 8),
    )
    SORTS: ClassVar = (
        ("hits", 0, True),
        ("last seen", 1, True),
        ("paths", 2, True),
        ("client", 3, False),
    )

    def title_extra(self, vs: ViewState) -> str:
        w = vs.view
        return f"{w.probe_hits} hits" if w.probe_hits else ""

    def build_rows(self, vs: ViewState) -> list[Row]:
        return [
            Row(
                p.client,
                (
                    safe(p.client),
                    num(p.hits),
                    num(p.distinct_paths),
                    safe(p.last_path),
                    safe(",".join(p.rules)),
                    safe(fmt_clock(p.first_seen, vs.tz)),
                    safe(fmt_clock(p.last_seen, vs.tz)),
                ),
                (p.hits, p.last_seen, p.distinct_paths, p.client),
            )
            for p in vs.view.probes
        ]


class BotsPanel(Panel):
    TITLE = "Bots"
    EMPTY = "no bots in the last {window}"
    DRILL = "bot"
    COLUMNS: ClassVar = (
        Col("name", "Bot", 10, flex=True),
        Col("cat", "Kind", 7),
        Col("hits", "Hits", 5),
        Col("share", "Share", 5),
    )
    SORTS: ClassVar = (("hits", 0, True), ("name", 1, False), ("kind", 2, False))

    def title_extra(self, vs: ViewState) -> str:
        w = vs.view
        return pct_str(w.bot_share) + " of requests" if w.requests else ""

    def build_rows(self, vs: ViewState) -> list[Row]:
        # A name listed under two kinds ("(no agent)": scanner, other) keys each row by both.
        names = Counter(b.name for b in vs.view.top_bots)
        return [
            Row(
                b.name if names[b.name] == 1 else bot_key(b.name, b.category),
                (safe(b.label), safe(b.category), num(b.hits), pct(b.share)),
                (b.hits, b.label.lower(), b.category),
            )
            for b in vs.view.top_bots
        ]


def pct_str(share: float) -> str:
    return pct(share).plain


class ClientsPanel(Panel):
    TITLE = "Top clients"
    DRILL = "client"
    COLUMNS: ClassVar = (
        Col("client", "Client", 13, flex=True),
        Col("hits", "Hits", 5),
        Col("bot", "Bot", 4),
        Col("err", "Err", 4),
    )
    SORTS: ClassVar = (
        ("hits", 0, True),
        ("errors", 1, True),
        ("bot", 2, True),
        ("client", 3, False),
    )

    def title_extra(self, vs: ViewState) -> str:
        return vs.cls_view if vs.cls_view != "all" else ""

    def build_rows(self, vs: ViewState) -> list[Row]:
        out = []
        cls = vs.cls_view
        w = vs.view
        stats = w.top_clients if cls == "all" else w.top_clients_by_class.get(cls, w.top_clients)
        for c in stats:
            hits = c.hits if cls == "all" else getattr(c, cls, 0)
            if not hits:
                continue
            err = c.errors / c.hits if c.hits else 0.0
            bot = c.bot / c.hits if c.hits else 0.0
            out.append(
                Row(
                    c.client,
                    (
                        safe(c.client),
                        num(hits),
                        pct(bot),
                        pct(err, 0.2, 0.5),
                    ),
                    # Sorted by what the columns show: the bot share, not the bot requests.
                    (hits, err, bot, c.client),
                )
            )
        if cls != "all":
            out.sort(key=lambda r: -r.sort[0])
        return out


class ReferrersPanel(Panel):
    TITLE = "Referrers & campaigns"
    # Short enough for the panel at 80 columns: the title already says "& campaigns".
    EMPTY = "no referrers in the last {window}"
    DRILL = ""
    COLUMNS: ClassVar = (
        Col("ref", "Referrer / campaign", 14, flex=True),
        Col("hits", "Views", 5),
    )
    SORTS: ClassVar = (("hits", 0, True), ("name", 1, False))

    def build_rows(self, vs: ViewState) -> list[Row]:
        w = vs.view
        rows = [
            Row("c:" + name, (safe("utm " + name, "italic"), num(n)), (n, name.lower()))
            for name, n in w.top_campaigns
        ]
        rows += [
            Row("r:" + ref, (safe(ref), num(n)), (n, ref.lower())) for ref, n in w.top_referrers
        ]
        return rows


class StreamPanel(Panel):
    TITLE = "Requests"
    EMPTY = "no recent requests in this view"
    DRILL = "client"
    STICKY_TOP = True
    LIMIT: ClassVar[int] = 120
    COLUMNS: ClassVar = (
        Col("time", "Time", 8),
        Col("client", "Client", 15),
        Col("status", "Sts", 3),
        Col("method", "Meth", 4),
        Col("path", "Path", 12, flex=True),
        Col("cls", "Class", 12),
        Col("time_taken", "Took", 6),
    )
    SORTS: ClassVar = ()

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.keys: dict[str, Record] = {}
        self._cell_cache: dict[str, tuple[Text, ...]] = {}

    def title_extra(self, vs: ViewState) -> str:
        bits = []
        if vs.cls_view != "all":
            bits.append(vs.cls_view)
        if vs.filter_text:
            bits.append("filtered")
        return " ".join(bits)

    def build_rows(self, vs: ViewState) -> list[Row]:
        return self.rows_for(vs.recent(self.LIMIT), vs)

    def rows_for(self, recent: list[tuple[Record, Verdict]], vs: ViewState) -> list[Row]:
        """Rows keyed by the request itself, so a row keeps its key while newer ones arrive."""
        seen: Counter[str] = Counter()
        out: list[Row] = []
        self.keys = {}
        # A request's cells never change: build them once, while the request is on screen.
        cache, self._cell_cache = self._cell_cache, {}
        for r, v in recent:
            base = f"{r.ts!r}|{r.client}|{r.method}|{r.status}|{r.path}"
            seen[base] += 1
            key = f"{base}|{seen[base]}"
            self.keys[key] = r
            cells = cache.get(key)
            if cells is None:
                cells = stream_cells(r, v, vs)
            self._cell_cache[key] = cells
            out.append(Row(key, cells))
        out.reverse()  # newest first
        return out

    def action_drill(self) -> None:
        key = self.cursor_key
        if key is not None and key in self.keys:
            self.post_message(self.Drill(self, "client", self.keys[key].client))


def verdict_label(v: Verdict) -> str:
    if v.cls == "bot":
        label = f"bot/{v.bot_category or 'other'}"
        return label + "!" if v.probe else label
    return v.cls


def stream_cells(r: Record, v: Verdict, vs: ViewState) -> tuple[Text, ...]:
    style = "bold red" if r.status >= 500 else "yellow" if r.status >= 400 else ""
    return (
        safe(fmt_clock(r.ts, vs.tz)),
        safe(r.client),
        Text(str(r.status), style=style),
        safe(r.method),
        # A request with no path (a TLS handshake, "-") by its request text, as the paths show it.
        safe(path_key(r) + ("?" + r.query if r.query else "")),
        safe(verdict_label(v), "red" if v.probe else ""),
        secs(r.request_time),
    )


PANELS: tuple[type[Panel], ...] = (
    PathsPanel,
    CodesPanel,
    ProbesPanel,
    BotsPanel,
    ClientsPanel,
    ReferrersPanel,
    StreamPanel,
)
