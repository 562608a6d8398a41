"""The `/` filter of the dashboard: every window recomputed over the recent requests that match.

The aggregator only keeps counts, so a filter can be applied after the fact only to what the
snapshot still holds request by request: its ring of recent requests (bounded by configuration).
A filtered view is therefore exact for windows the ring covers and the newest traffic for longer
ones. The counting itself is the aggregator's own, run over the matching requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from logwatch.model import Record, Verdict
from logwatch.stats.aggregator import Aggregator, StatsConfig
from logwatch.stats.snapshot import Snapshot

Predicate = Callable[[Record, Verdict], bool]


def filtered_view(snapshot: Snapshot, predicate: Predicate) -> Snapshot:
    """`snapshot` with every window and the totals recounted over the matching recent requests."""
    rows = [(r, v) for r, v in snapshot.recent if predicate(r, v)]
    windows = tuple((name, int(view.seconds)) for name, view in snapshot.windows.items())
    aggregator = Aggregator(StatsConfig(windows=windows, recent=max(len(rows), 1)))
    aggregator.add_many(rows)
    # A mark (`m`) stays, its before/after recounted over the matching requests too: the
    # filtered dashboard dropped it, and with it the before → after it had promised.
    mark = snapshot.mark[0] if snapshot.mark is not None else None
    counted = aggregator.snapshot(snapshot.now, mark=mark)
    return replace(
        snapshot,
        windows=counted.windows,
        totals=counted.totals,
        recent=tuple(rows),
        mark=counted.mark,
        extra={**snapshot.extra, FILTERED_SECONDS: _short_windows(snapshot)},
    )


# In a filtered snapshot's `extra`: {window name ("all" for the totals): seconds the ring of
# recent requests covers} for each window it does not cover whole. The figures of such a window
# are those of its newest part only, and the dashboard says so.
FILTERED_SECONDS = "filtered_seconds"


def _short_windows(snapshot: Snapshot) -> dict[str, float]:
    recent = snapshot.recent
    now = snapshot.now
    oldest = min((r.ts for r, _ in recent), default=now)
    covered = max(now - oldest, 0.0)
    out: dict[str, float] = {}
    for name, view in snapshot.windows.items():
        # The seconds a window counts (Aggregator._sum_seconds): int(start) + 1 .. int(now).
        lo, hi = int(now - view.seconds) + 1, int(now)
        held = sum(1 for r, _ in recent if lo <= int(r.ts) <= hi)
        if held < view.requests:
            out[name] = covered
    if len(recent) < snapshot.totals.requests:
        out["all"] = covered
    return out
