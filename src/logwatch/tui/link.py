"""Connects the dashboard to the live engine (logwatch.engine.LiveEngine).

The app only needs `start(on_snapshot)`, `set_mark(ts | None)`, `stop()`, `alerts` and `error`;
tests hand it a fake with the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logwatch.stats.snapshot import Snapshot


class EngineLink:
    """Owns a LiveEngine built from EngineOptions; starts it when the app is ready."""

    def __init__(self, options: Any) -> None:
        self.options = options
        self.engine: Any = None

    @property
    def alerts(self) -> Any:
        return getattr(self.options, "alerts", None)

    @property
    def error(self) -> str | None:
        return getattr(self.engine, "error", None) if self.engine is not None else None

    def start(self, on_snapshot: Callable[[Snapshot], None]) -> None:
        from logwatch.engine import LiveEngine

        self.engine = LiveEngine(self.options, on_snapshot=on_snapshot)
        self.engine.start()

    def set_mark(self, ts: float | None) -> None:
        if self.engine is not None:
            self.engine.set_mark(ts)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        alerts = self.alerts
        close = getattr(alerts, "close", None)
        if callable(close):
            close(timeout=2.0)
