"""The summary figures' sparklines stand on zero: a steady rate is a row of tall bars, not the
min-to-max swing Textual draws (a 5xx rate between 0.10 % and 0.12 % drawn as a red spike)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from logwatch.tui.widgets.header import Figure
from logwatch.tui.widgets.sparkline import BARS, bar_index, bar_levels


def test_levels_are_over_the_largest_value_not_the_range():
    assert bar_levels([100, 102, 100, 102], 4) == [100 / 102, 1.0, 100 / 102, 1.0]
    assert bar_levels([0.0, 0.0, 0.0], 3) == [0.0, 0.0, 0.0]
    assert bar_levels([], 5) == []


def test_a_long_series_takes_each_share_s_peak_and_a_short_one_is_stretched():
    assert bar_levels([0, 4, 0, 0, 2, 0], 3) == [1.0, 0.0, 0.5]
    assert bar_levels([1, 2], 4) == [0.5, 0.5, 1.0, 1.0]


def test_zero_is_the_lowest_bar_and_any_value_above_it_shows():
    assert BARS[bar_index(0.0)] == "▁"
    assert bar_index(0.001) == 1
    assert BARS[bar_index(1.0)] == "█"


class _OneFigure(App[None]):
    def compose(self) -> ComposeResult:
        yield Figure("5xx", "5xx")


async def test_a_steady_rate_is_drawn_as_tall_bars_not_swings():
    app = _OneFigure()
    async with app.run_test(size=(20, 4)) as pilot:
        app.query_one(Figure).show(Text("5xx"), [0.10, 0.12] * 10)
        await pilot.pause()
        row = app.screen._compositor.render_strips()[1].text.strip()
        assert len(row) == 20
        assert set(row) <= {"▇", "█"}, row  # Textual's own drew "▁█▁█…"
