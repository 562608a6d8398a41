"""Snapshot tests at fixed sizes on a fixed Snapshot and a fixed clock (UTC)."""

from __future__ import annotations

from conftest import make_app
from lw_fixtures import make_snapshot


def test_main_screen_wide(snap_compare):
    assert snap_compare(make_app(make_snapshot()), terminal_size=(140, 45))


def test_main_screen_80x24(snap_compare):
    assert snap_compare(make_app(make_snapshot()), terminal_size=(80, 24))


def test_path_drill_down(snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # /api/checkout: the path with the 5xx
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(make_snapshot()), terminal_size=(120, 40), run_before=run_before)


def test_help_screen(snap_compare):
    assert snap_compare(make_app(make_snapshot()), terminal_size=(100, 36), press=["?"])


def test_light_theme_with_mark(snap_compare):
    app = make_app(make_snapshot(mark=1_767_000_000.0 - 240), theme="light")
    assert snap_compare(app, terminal_size=(120, 40))
