"""Turning figures and hostile log strings into cells.

Every string that came from a log line becomes `rich.text.Text(value)`: a Text is never parsed as
markup, so `[@click=app.quit]` in a path stays those characters. Control characters were escaped at
ingestion (logwatch.sanitize); `safe()` escapes again so a Record built elsewhere cannot smuggle an
escape sequence to the terminal either.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo

from rich.text import Text

from logwatch.sanitize import clean


def safe(value: object, style: str = "") -> Text:
    """Plain text, never markup, never a control character. Cut with an ellipsis where it does
    not fit, so a cut address or path does not read as another one."""
    return Text(clean(str(value)), style=style, no_wrap=True, overflow="ellipsis", end="")


def num(value: float | int | None, style: str = "") -> Text:
    return Text(fmt_count(value), style=style, justify="right", no_wrap=True, end="")


def fmt_count(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}" if value < 100 else f"{value:,.0f}"
    v = int(value)
    if v >= 10_000_000:
        return f"{v / 1_000_000:.0f}M"
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if v >= 100_000:
        return f"{v / 1000:.0f}k"
    return f"{v:,}"


def fmt_pct(share: float | None) -> str:
    if share is None:
        return "–"
    if share == 0:
        return "0%"
    pct = share * 100
    if pct < 0.1:
        return "<0.1%"
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


def pct(share: float | None, warn: float | None = None, bad: float | None = None) -> Text:
    style = ""
    if share is not None and bad is not None and share >= bad:
        style = "bold red"
    elif share is not None and warn is not None and share >= warn:
        style = "yellow"
    return Text(fmt_pct(share), style=style, justify="right", no_wrap=True, end="")


def fmt_secs(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 100:
        return f"{seconds:.2f}s"
    return f"{seconds:.0f}s"


def secs(seconds: float | None) -> Text:
    return Text(fmt_secs(seconds), justify="right", no_wrap=True, end="")


def fmt_rate(per_s: float) -> str:
    if per_s >= 100:
        return f"{per_s:,.0f}/s"
    if per_s >= 10:
        return f"{per_s:.1f}/s"
    return f"{per_s:.2f}/s"


def fmt_clock(ts: float | None, tz: tzinfo | None = None) -> str:
    if ts is None:
        return "–"
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def fmt_when(ts: float, tz: tzinfo | None = None) -> str:
    """A date and minute with its zone, e.g. 2026-10-10 09:42 UTC (tz None: the local zone)."""
    try:
        return datetime.fromtimestamp(ts, tz).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()
    except (OverflowError, OSError, ValueError):  # a time no calendar holds
        return "–"


def fmt_ago(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "–"
    delta = (time.time() if now is None else now) - ts
    if delta < 0:
        delta = 0
    if delta < 60:
        return f"{delta:.0f}s ago"
    if delta < 3600:
        return f"{delta / 60:.0f}m ago"
    return f"{delta / 3600:.1f}h ago"


def fmt_span(seconds: float) -> str:
    """A length of time, short: 45s, 12m, 3.5h."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def fmt_delta(now: float, before: float) -> str:
    """Change of a count/rate against the previous figure: +12, -3, new, gone."""
    if before == 0 and now == 0:
        return ""
    if before == 0:
        return "new"
    if now == 0:
        return "gone"
    change = (now - before) / before
    if abs(change) < 0.005:
        return "="
    return f"{change * 100:+.0f}%"


def delta(now: float, before: float, higher_is_bad: bool = False) -> Text:
    label = fmt_delta(now, before)
    style = ""
    if higher_is_bad and label not in ("", "=", "gone") and (label == "new" or now > before * 1.2):
        style = "bold red"
    return Text(label, style=style, justify="right", no_wrap=True, end="")
