"""The dashboard on hostile data from a real pipeline: every panel, drill-downs, the alert banner,
the alerts screen and the engine-error notification show markup and escapes as plain text.

tests/tui/test_tui_hostile.py (the dashboard's own) covers the request stream, the client
drill-down, a hostile source name and the filter echo; this adds the other panels cell by cell,
clicks on each hostile cell, the path/probe/bot drill-downs, and the alert surfaces. Hostile lines
come through `Pipeline` (so what is shown is what ingestion really produces), not a fixture.
"""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hostile_util import assert_inert, clf, hostile_lines

from logwatch.alerts import AlertEvent
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline

textual = pytest.importorskip("textual")

from logwatch.tui.app import LogwatchApp  # noqa: E402
from logwatch.tui.screens.alerts import AlertsScreen  # noqa: E402
from logwatch.tui.screens.drill import DrillScreen  # noqa: E402
from logwatch.tui.widgets.header import AlertBanner  # noqa: E402
from logwatch.tui.widgets.panels import Panel  # noqa: E402

THEMES = Path(__file__).resolve().parents[2] / "themes"
PANELS = ("paths", "codes", "bots", "probes", "clients", "referrers", "stream")
CLICK = "[@click=app.quit]"


def hostile_snapshot() -> Any:
    now = time.time()
    t = now - 120
    lines = hostile_lines(t)
    lines += [
        clf(t + 60, client=f"203.0.113.66{CLICK}", path=f"/.env{CLICK}", status=404).encode(),
        clf(
            t + 61, client="203.0.113.67", path="/wp-login.php", agent=f"sqlmap/1.7 {CLICK}"
        ).encode(),
        clf(t + 62, referrer=f"https://{CLICK}[/foo]/x", path="/landing").encode(),
        clf(t + 63, agent=f"Mozilla/5.0 (compatible; Evil{CLICK}Bot/1.0)", path="/b").encode(),
    ]
    p = Pipeline(get_format("combined"))
    p.feed(lines, f"hostile{CLICK}.log")
    assert p.aggregator.parsed == len(lines)
    return p.snapshot(now)


class Alerts:
    def __init__(self, events: list[AlertEvent]) -> None:
        self.rules = [f"rule {CLICK}"]
        self.events = events

    def active(self) -> list[AlertEvent]:
        return self.events

    def history(self) -> list[AlertEvent]:
        return self.events


class Engine:
    def __init__(self, alerts: Alerts) -> None:
        self.alerts = alerts
        self.error = "no known access-log format matches these lines. First line:\n  " + CLICK
        self.on_snapshot = None

    def start(self, on_snapshot) -> None:  # type: ignore[no-untyped-def]
        self.on_snapshot = on_snapshot

    def set_mark(self, ts: float | None) -> None:
        pass

    def stop(self) -> None:
        pass


def hostile_event(now: float) -> AlertEvent:
    return AlertEvent(
        rule=f"5xx on {CLICK}[/foo]",
        metric="5xx_rate",
        window="1m",
        state="firing",
        value=0.5,
        condition="above",
        threshold=0.05,
        at=now,
        requests=10,
        since=now,
        context={"top": [f"/p1/{CLICK} (5 5xx)", "\\x1b]0;t\\x07 (1 5xx)"]},
    )


def screen_text(app: LogwatchApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def make(snap: Any, engine: Any = None) -> LogwatchApp:
    return LogwatchApp(engine, snap, tz=UTC, clock=lambda: snap.now, theme_dirs=[THEMES])


async def test_every_panel_shows_hostile_cells_literally_and_clicks_run_nothing() -> None:
    snap = hostile_snapshot()
    app = make(snap)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        seen_markup = set()
        for pid in PANELS:
            panel = app.screen.query_one(f"#{pid}", Panel)
            for row in range(panel.row_count):
                cells = panel.get_row_at(row)
                for col, cell in enumerate(cells):
                    text = cell.plain
                    assert_inert(text, f"{pid} row {row}")
                    assert not cell.spans or all(
                        "@click" not in str(s.style) and "link" not in str(s.style)
                        for s in cell.spans
                    ), (pid, text, cell.spans)
                    if CLICK in text and pid not in seen_markup:
                        seen_markup.add(pid)
                        # Clicking the cell that carries an action in markup runs nothing.
                        panel.focus()
                        panel.move_cursor(row=row, column=col)
                        await pilot.click(f"#{pid}", offset=(2, row + 1))
                        await pilot.pause()
                        if isinstance(app.screen, DrillScreen):
                            await pilot.press("escape")
                            await pilot.pause()
                        assert app.is_running and app.return_code is None, (pid, text)
        # The hostile strings are there to read, in these panels at least.
        assert {"paths", "clients", "probes", "stream", "referrers"} <= seen_markup, seen_markup
        # Cell text equals the string ingestion produced, character for character.
        view = snap.window(app.window)
        expected = {
            "paths": {p.path for rows in view.top_paths.values() for p in rows},
            "clients": {c.client for c in view.top_clients},
        }
        for pid, keys in expected.items():
            panel = app.screen.query_one(f"#{pid}", Panel)
            shown = {panel.get_row_at(r)[0].plain for r in range(panel.row_count)}
            bracketed = {k for k in shown if "[" in k}
            assert bracketed and bracketed <= keys, (pid, bracketed - keys)
        assert_inert(screen_text(app), "main screen")
        assert_inert(app.export_screenshot(), "screenshot")


@pytest.mark.parametrize(
    "kind,key",
    [
        ("path", f"/p0/{CLICK}"),
        pytest.param("client", f"203.0.113.66{CLICK}", marks=pytest.mark.slow),
        pytest.param("path", f"/.env{CLICK}", marks=pytest.mark.slow),
    ],
)
async def test_drill_downs_of_hostile_keys(kind: str, key: str) -> None:
    snap = hostile_snapshot()
    app = make(snap)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.push_screen(DrillScreen(kind, key))
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert_inert(text, f"{kind} drill-down")
        assert CLICK in text  # the key is shown, as text
        await pilot.click(offset=(10, 5))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_alert_banner_alerts_screen_and_engine_error_stay_text() -> None:
    snap = hostile_snapshot()
    event = hostile_event(snap.now)
    app = make(snap, Engine(Alerts([event])))
    async with app.run_test(size=(160, 50)) as pilot:
        app.receive_snapshot(snap)
        await pilot.pause()
        banner = app.screen.query_one("#banner", AlertBanner)
        assert banner.display
        banner_text = str(banner.render())
        assert CLICK in banner_text and "[/foo]" in banner_text
        assert_inert(banner_text, "alert banner")
        await pilot.click("#banner")
        await pilot.pause(1.2)  # the engine watch runs every second: the error notification
        text = screen_text(app)
        assert_inert(text, "main screen with banner and notification")
        assert app._engine_error is not None and CLICK in text
        app.push_screen(AlertsScreen())
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert_inert(text, "alerts screen")
        assert CLICK in text
        await pilot.click(offset=(20, 4))
        await pilot.pause()
        assert app.is_running and app.return_code is None
