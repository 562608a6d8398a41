from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lw_fixtures import NOW, make_snapshot

from logwatch.tui.app import LogwatchApp

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"


class FakeAlerts:
    def __init__(self) -> None:
        self.rules = ["5xx_rate > 0.05 for 1m"]
        self._active: list[Any] = []
        self._history: list[Any] = []

    def active(self) -> list[Any]:
        return list(self._active)

    def history(self) -> list[Any]:
        return list(self._history)


class FakeEngine:
    """Stands in for LiveEngine: records calls, hands out a snap callback."""

    def __init__(self) -> None:
        self.on_snapshot = None
        self.marks: list[float | None] = []
        self.stopped = False
        self.alerts = FakeAlerts()

    def start(self, on_snapshot) -> None:
        self.on_snapshot = on_snapshot

    def set_mark(self, ts) -> None:
        self.marks.append(ts)

    def stop(self) -> None:
        self.stopped = True


def make_app(snap=None, engine=None, **kw) -> LogwatchApp:
    kw.setdefault("theme_dirs", [REPO_THEMES])
    return LogwatchApp(
        engine,
        snap if snap is not None else make_snapshot(),
        tz=UTC,
        clock=lambda: NOW,
        **kw,
    )


@pytest.fixture
def snap():
    return make_snapshot()


@pytest.fixture
def engine():
    return FakeEngine()
