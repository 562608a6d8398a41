"""What every view of the dashboard reads on a refresh: the data plus the user's choices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from logwatch.model import Record, Verdict
from logwatch.stats.snapshot import Snapshot, WindowView

WINDOWS: tuple[str, ...] = ("1m", "5m", "15m", "1h")
CLASS_VIEWS: tuple[str, ...] = ("all", "human", "bot", "asset")


@dataclass(frozen=True, slots=True)
class ViewState:
    snapshot: Snapshot
    window: str = "5m"
    cls_view: str = "all"
    filter_text: str = ""
    predicate: Callable[[Record, Verdict], bool] | None = None
    paused: bool = False
    tz: tzinfo | None = None
    geo: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def view(self) -> WindowView:
        return self.snapshot.window(self.window)

    @property
    def path_class(self) -> str:
        # The paths panel is about human traffic unless the class view asks for another class.
        return "human" if self.cls_view == "all" else self.cls_view

    def recent(self, limit: int | None = None) -> list[tuple[Record, Verdict]]:
        """Recent requests that pass the class view and the filter, oldest first.

        With a limit, the scan walks back from the newest and stops at `limit` matches, so the
        stream costs O(limit) per refresh however long snapshot.recent is.
        """
        rows = self.snapshot.recent
        cls = self.cls_view
        pred = self.predicate
        if cls == "all" and pred is None:
            return list(rows if limit is None else rows[-limit:])
        out: list[tuple[Record, Verdict]] = []
        for r, v in reversed(rows):
            if (cls == "all" or v.cls == cls) and (pred is None or pred(r, v)):
                out.append((r, v))
                if limit is not None and len(out) >= limit:
                    break
        out.reverse()
        return out
