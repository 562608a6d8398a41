"""Connects the dashboard to the live engine (logwatch.engine.LiveEngine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logwatch.stats.snapshot import Snapshot


class EngineLink:
    """Starts the engine when the app mounts and forwards its snapshots to the app."""

    def __init__(self, options: Any, paths: list[str]) -> None:
        self.options = options
        self.paths = paths
        self.engine: Any = None

    @property
    def alerts(self) -> Any:
        return getattr(self.engine, "alerts", None)

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
