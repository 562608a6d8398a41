"""The dashboard on the real LiveEngine (its own thread) following a generated log."""

from __future__ import annotations

import time

from conftest import make_app

from logwatch import synth
from logwatch.engine import EngineOptions
from logwatch.tui.app import empty_snapshot
from logwatch.tui.link import EngineLink
from logwatch.tui.widgets.panels import Panel


async def test_live_engine_fills_the_dashboard(tmp_path):
    log = tmp_path / "access.log"
    n = 2000
    synth.write(log, n, fmt="combined_rt", seed=3, start=time.time() - 1200, rate=2.0)
    link = EngineLink(EngineOptions(paths=[str(log)], since=None, tick=0.2))
    app = make_app(empty_snapshot(), engine=link)
    async with app.run_test(size=(120, 40)) as pilot:
        # wait (bounded) for the engine thread to read the file and publish
        for _ in range(300):
            await pilot.pause(0.05)
            if app.latest.parsed + app.latest.malformed >= n:
                break
        assert app.latest.lines == n
        assert app.latest.parsed > n * 0.9
        await pilot.pause(0.3)
        stream = app.screen.query_one("#stream", Panel)
        assert stream.row_count > 0
        assert app.screen.query_one("#paths", Panel).row_count > 0
        assert app.latest.sources and app.latest.sources[0].state == "following"
        # keys work while the engine runs; the mark reaches the engine
        await pilot.press("w", "m")
        assert link.engine.mark is not None
        assert link.error is None
    thread = link.engine._thread
    assert thread is not None and not thread.is_alive()  # quitting stopped the engine


async def test_a_dead_log_shows_as_history_until_lines_come_live(tmp_path):
    """The header said "● LIVE" over a log last written weeks ago; it now gives the log's end
    and turns LIVE when a line arrives in real time (the engine's own `live` flag)."""
    from datetime import UTC

    from logwatch.tui.render import fmt_when
    from logwatch.tui.widgets.header import StatusLine

    def line(ts: float) -> str:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
        return f'192.0.2.1 - - [{stamp}] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0"\n'

    log = tmp_path / "access.log"
    last = time.time() - 40 * 86400
    log.write_text(line(last - 60) + line(last))
    link = EngineLink(EngineOptions(paths=[str(log)], since=None, tick=0.2))
    app = make_app(empty_snapshot(), engine=link)

    def status() -> str:
        return str(app.screen.query_one(StatusLine).render())

    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            await pilot.pause(0.05)
            if app.latest.extra.get("history_done") and app.latest.parsed == 2:
                break
        await pilot.pause(0.1)
        assert app.latest.extra["live"] is False
        assert f"◌ HISTORY · log ends {fmt_when(last, UTC)}" in status()
        assert "LIVE" not in status()
        with log.open("a") as f:
            f.write(line(time.time()))
        for _ in range(300):
            await pilot.pause(0.05)
            if app.latest.extra.get("live"):
                break
        await pilot.pause(0.1)
        assert "● LIVE" in status() and "HISTORY" not in status()
