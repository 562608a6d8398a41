"""The header line, the alert banner, the history progress bar and the summary strip."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from logwatch.model import SourceState
from logwatch.sanitize import clean
from logwatch.stats.filtered import FILTERED_SECONDS
from logwatch.stats.snapshot import Snapshot
from logwatch.tui.render import fmt_count, fmt_pct, fmt_rate, fmt_secs, fmt_span, fmt_when
from logwatch.tui.state import ViewState
from logwatch.tui.widgets.sparkline import ZeroSparkline

_STATE_STYLE = {
    "following": "green",
    "reading": "cyan",
    "starting": "dim",
    "missing": "yellow",
    "rotated": "cyan",
    "closed": "dim",
    "error": "bold red",
}


def source_progress(s: SourceState) -> float | None:
    """History progress 0..1 of a source that is still reading old content, else None."""
    extra = s.extra
    for key in ("progress", "history_progress"):
        value = extra.get(key)
        if isinstance(value, (int, float)) and 0 <= value < 1:
            return float(value)
    for done_key, total_key in (
        ("history_done", "history_total"),
        ("bytes_read", "bytes_total"),
        ("history_bytes_done", "history_bytes_total"),  # ingest/tail.py
        ("history_bytes_read", "history_bytes_total"),
    ):
        done, total = extra.get(done_key), extra.get(total_key)
        if isinstance(done, (int, float)) and isinstance(total, (int, float)) and total > 0:
            frac = float(done) / float(total)
            return frac if frac < 1 else None
    return None


def short_name(name: str) -> str:
    return name.rsplit("/", 1)[-1] or name


class StatusLine(Static):
    """Sources and their state, format, ingest rate, window, live/history/paused, alert state."""

    def show(self, vs: ViewState, ingest_rate: float | None, alert_count: int) -> None:
        snap = vs.snapshot
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        t.append(" logwatch ", style="bold reverse")
        t.append(" ")
        # The engine's flag: are the windows at the wall clock, or at the log's own newest line
        # (a log nobody writes to any more, or history still being read)? "LIVE" over a dead
        # log's last hour read as if that traffic were happening now. A snapshot with no flag
        # is not the engine's (the empty one before the first).
        live = snap.extra.get("live", True)
        if vs.paused:
            t.append("⏸ PAUSED", style="bold yellow")
            if not live:
                t.append(" ")
        elif live:
            t.append("● LIVE", style="bold green")
            skew = snap.extra.get("clock_skew", 0)
            if isinstance(skew, (int, float)) and skew:
                # The log's lines are hours off the wall clock (a wrong time zone): the windows
                # follow the log's clock, and say by how much.
                t.append(f" log clock {fmt_skew(skew)}", style="bold yellow")
        if not live:
            t.append(history_label(snap, vs), style="bold cyan")
        t.append(f" {vs.window}", style="bold")
        t.append(f" {vs.cls_view}")
        if alert_count:
            t.append(f" ▲{alert_count} alert{'s' if alert_count > 1 else ''}", style="bold red")
        else:
            t.append(" ✓alerts", style="green")
        if ingest_rate is not None:
            t.append(f" {fmt_rate(ingest_rate).replace('/s', ' l/s')}")
        # Formats learned beside the first (a second shape of line) follow it: "combined+caddy".
        formats = "+".join((snap.format or "detecting", *snap.other_formats))
        t.append(f" {formats}", style="italic")
        if vs.filter_text:
            t.append(" /", style="bold")
            t.append(clean(vs.filter_text), style="bold")  # typed or pasted: still plain text
            # A filter counts the ring of recent requests: when that holds less than the window,
            # the figures are the window's newest part, and say so.
            short = vs.snapshot.extra.get(FILTERED_SECONDS, {}).get(vs.view.name)
            if short is not None:
                t.append(f" (newest {fmt_span(short)} only)", style="bold yellow")
        t.append(" │ ")
        for i, s in enumerate(snap.sources[:4]):
            if i:
                t.append(" · ")
            # File names (and the errors that quote them) come from the filesystem, not from
            # ingestion: nothing has escaped their control characters yet.
            t.append(clean(short_name(s.label or s.name)))
            t.append(f" {s.state}", style=_STATE_STYLE.get(s.state, ""))
            if s.state == "error" and s.message:
                t.append(f" ({clean(s.message)})", style="red")
        if len(snap.sources) > 4:
            t.append(f" +{len(snap.sources) - 4}")
        if snap.malformed:
            t.append(f"  malformed {fmt_count(snap.malformed)}", style="yellow")
        self.update(t)


def history_label(snap: Snapshot, vs: ViewState) -> str:
    """What the windows show when not live: up to the log's newest line, which time is given."""
    # Not live, the clock is the log's: `now` and the span's end are its newest request. The
    # span stays under a filter, whose recount may hold no request at all.
    if snap.span is not None:
        end = snap.span[1]
    elif snap.totals.requests:
        end = snap.now
    else:
        return "◌ HISTORY"
    # While history is still read, its end is not known yet: "read to", not "log ends".
    verb = "log ends" if snap.extra.get("history_done", True) else "read to"
    return f"◌ HISTORY · {verb} {fmt_when(end, vs.tz)}"


class HistoryProgress(Horizontal):
    """Shown while old content is read: one bar for all sources still reading history."""

    def compose(self) -> ComposeResult:
        yield Static(Text("reading history"), id="progress-label")
        yield ProgressBar(total=1000, show_eta=True, id="progress-bar")

    def show(self, sources: Sequence[SourceState]) -> None:
        fracs = [p for p in (source_progress(s) for s in sources) if p is not None]
        if not fracs:
            self.display = False
            return
        self.display = True
        frac = sum(fracs) / len(fracs)
        self.query_one(ProgressBar).update(progress=round(frac * 1000))
        label = f"reading history of {len(fracs)} source{'s' if len(fracs) > 1 else ''}"
        self.query_one("#progress-label", Static).update(Text(label))


class AlertBanner(Static):
    """A line that appears while an alert is active."""

    def show(self, active: Sequence[object]) -> None:
        if not active:
            self.display = False
            return
        self.display = True
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        t.append(" ALERT ", style="bold reverse")
        for i, alert in enumerate(active[:3]):
            t.append("  " if i == 0 else "  ·  ")
            t.append(alert_text(alert))
        if len(active) > 3:
            t.append(f"  +{len(active) - 3} more")
        t.append("   (a: alerts)", style="dim")
        self.update(t)


def alert_text(alert: object) -> str:
    """One line for an alert object of the alerts engine (duck-typed: its shape may grow)."""
    if isinstance(alert, str):
        return alert
    text = getattr(alert, "text", None)
    if callable(text):  # logwatch.alerts.engine.AlertEvent
        return str(text()).removeprefix("[logwatch] ")
    if isinstance(alert, dict):
        get = alert.get
    else:

        def get(key: str, default: object = None) -> object:
            return getattr(alert, key, default)

    name = get("name", None) or get("rule", None) or "alert"
    name = getattr(name, "name", name)
    message = get("message", None) or get("summary", None) or ""
    value = get("value", None)
    text = str(name)
    if message:
        text += f": {message}"
    elif value is not None:
        text += f" = {value}"
    return text


def fmt_skew(seconds: float) -> str:
    """A clock offset in whole quarter hours: "+2h", "-5h30m"."""
    sign = "-" if seconds < 0 else "+"
    minutes = round(abs(seconds) / 60)
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours}h{rest:02d}m" if rest else f"{sign}{hours}h"


class Figure(Vertical):
    """A label with its current value over a sparkline."""

    def __init__(self, key: str, label: str) -> None:
        super().__init__(id=f"fig-{key}", classes="figure")
        self.label = label

    def compose(self) -> ComposeResult:
        yield Static(Text(self.label), classes="figure-value")
        yield ZeroSparkline([], classes="figure-spark")

    def show(self, value: Text, data: Sequence[float]) -> None:
        self.query_one(".figure-value", Static).update(value)
        spark = self.query_one(ZeroSparkline)
        # Textual draws a one-point sparkline as a full bar: with no history yet every figure
        # (the 5xx one in red) looked pinned at its maximum. No trend yet is a flat line.
        values = list(data) if len(data) > 1 else []
        if spark.data != values:
            spark.data = values


class SummaryStrip(Horizontal):
    """requests/s by class, human page views/min, 4xx and 5xx rates, p95 latency."""

    def compose(self) -> ComposeResult:
        yield Figure("rps", "req/s")
        yield Figure("views", "views/min")
        yield Figure("4xx", "4xx")
        yield Figure("5xx", "5xx")
        yield Figure("p95", "p95")

    def show(self, vs: ViewState) -> None:
        w = vs.view
        series = w.series
        mark = vs.snapshot.mark

        def fig(key: str) -> Figure:
            return self.query_one(f"#fig-{key}", Figure)

        t = Text(no_wrap=True, overflow="ellipsis", end="")
        t.append("req/s ", style="dim")
        t.append(fmt_rate(w.rps).removesuffix("/s"), style="bold")
        t.append(f" h{w.rps_of('human'):.1f}", style="green")
        t.append(f" b{w.rps_of('bot'):.1f}", style="magenta")
        t.append(f" a{w.rps_of('asset'):.1f}", style="blue")
        fig("rps").show(t, series.requests if series else ())

        t = Text(no_wrap=True, end="")
        t.append("views/min ", style="dim")
        t.append(f"{w.human_pageviews_per_min:.1f}", style="bold")
        fig("views").show(t, [x * 60 for x in series.human] if series else ())

        for key, rate, before_after in (
            ("4xx", w.rate_4xx, (mark[1].rate_4xx, mark[2].rate_4xx) if mark else None),
            ("5xx", w.rate_5xx, (mark[1].rate_5xx, mark[2].rate_5xx) if mark else None),
        ):
            bad = 0.05 if key == "5xx" else 0.2
            t = Text(no_wrap=True, end="")
            t.append(f"{key} ", style="dim")
            if before_after is not None:
                b, a = before_after
                t.append(f"{fmt_pct(b)}→", style="dim")
                t.append(fmt_pct(a), style="bold red" if a >= bad else "bold")
            else:
                t.append(fmt_pct(rate), style="bold red" if rate >= bad else "bold")
            data = (series.rate_4xx if key == "4xx" else series.rate_5xx) if series else ()
            fig(key).show(t, data)

        t = Text(no_wrap=True, end="")
        t.append("p95 ", style="dim")
        t.append(fmt_secs(w.latency.get("p95")), style="bold")
        p95s = [x or 0.0 for x in series.p95] if series else []
        fig("p95").show(t, p95s)
