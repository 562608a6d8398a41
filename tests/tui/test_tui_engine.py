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
