"""Log text is only ever plain text: markup stays literal, no action runs, no escape gets out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_app
from lw_fixtures import HOSTILE_PATH, make_snapshot

from logwatch.model import Record, SourceState, Verdict
from logwatch.pipeline import Pipeline
from logwatch.tui.screens.drill import DrillScreen
from logwatch.tui.widgets.panels import Panel

HOSTILE_LOG = Path(__file__).resolve().parents[2] / "sample_logs" / "hostile.log"
FORBIDDEN = ["\x1b", "\x07", "\x9b", "\x9d", "\x00", "\u202e"]


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_clean(text: str) -> None:
    for ch in FORBIDDEN:
        assert ch not in text, repr(ch)


def hostile_pipeline_snapshot():
    pipeline = Pipeline()
    lines = HOSTILE_LOG.read_bytes().split(b"\n")
    for i in range(0, len(lines), 200):
        pipeline.feed([ln for ln in lines[i : i + 200] if ln], "hostile.log")
    pipeline.flush()
    return pipeline.snapshot(
        sources=[SourceState("[@click=app.quit]hostile.log", state="following")]
    )


@pytest.mark.skipif(not HOSTILE_LOG.exists(), reason="sample_logs/hostile.log not present")
async def test_sample_hostile_log_renders_literally():
    snap = hostile_pipeline_snapshot()
    assert snap.parsed > 0
    app = make_app(snap, window="1h")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        stream = app.screen.query_one("#stream", Panel)
        paths = [stream.get_row_at(i)[4].plain for i in range(stream.row_count)]
        # markup brackets arrive as text, exactly as the log wrote them
        assert any("[bold]" in p or "[@click" in p or "[/" in p for p in paths)
        text = screen_text(app)
        assert_clean(text)
        assert "[@click=app.quit]hostile.log" in text  # a hostile source name, shown literally
        # clicking every visible row runs no action embedded in the text
        for row in range(min(stream.row_count, 10)):
            stream.move_cursor(row=row)
            await pilot.click(stream, offset=(50, row + 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        svg = app.export_screenshot()
        assert_clean(svg)
        # drill into every hostile-looking client: the reasons and agents stay plain too
        clients = {r.client for r, _ in snap.recent if "[" in r.path or "[" in r.user_agent}
        for client in list(clients)[:3]:
            app.push_screen(DrillScreen("client", client))
            await pilot.pause()
            await pilot.pause()
            assert_clean(screen_text(app))
            app.pop_screen()
            await pilot.pause()
        assert app.is_running


async def test_fixture_hostile_record_with_raw_escapes():
    # A Record that skipped sanitising (built by some other code path) still cannot reach the
    # terminal with its escapes: the renderer cleans again.
    raw = Record(
        1_767_000_000.0 - 1,
        "198.51.100.1",
        "GET",
        "/x\x1b]0;owned\x07[@click=app.quit]y",
        "",
        "HTTP/1.1",
        500,
        1,
        "-",
        "\x9b2J[b]agent",
        source="raw.log",
    )
    snap = make_snapshot(hostile=True)
    snap = replace(snap, recent=(*snap.recent, (raw, Verdict("human"))))
    app = make_app(snap)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        stream = app.screen.query_one("#stream", Panel)
        top = stream.get_row_at(0)[4].plain
        assert "[@click=app.quit]" in top and "\x1b" not in top and "\\x1b" in top
        texts = [stream.get_row_at(i)[4].plain for i in range(stream.row_count)]
        assert HOSTILE_PATH in texts
        assert_clean(screen_text(app))
        # a hostile filter value is echoed as text in the header and in an error notification
        assert app.set_filter("path:[/b]")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "[/b]" in screen_text(app)
        assert not app.set_filter("nosuch:[@click=app.quit]")
        await pilot.pause()
        assert app.is_running
