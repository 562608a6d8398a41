"""A sparkline whose bars stand on zero.

Textual's sparkline scales each series from its minimum to its maximum, so a 5xx rate wobbling
between 0.10 % and 0.12 % is drawn as bars from nothing to full: a red spike on a quiet server.
A figure's trend is read as "how much", so the bars here are the value over the series' maximum.
The colours and size still come from Textual's widget (its CSS component classes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.color import Color
from rich.console import Console, ConsoleOptions
from rich.console import RenderResult as RichRenderResult
from rich.segment import Segment
from rich.style import Style
from textual.app import RenderResult
from textual.renderables.sparkline import Sparkline as SparklineRenderable
from textual.widgets import Sparkline

BARS = "▁▂▃▄▅▆▇█"


def bar_levels(data: Sequence[float], width: int) -> list[float]:
    """`width` bars of `data`, each the largest value of its share of the series, over the
    series' largest value (0..1; all 0 when the series is all zero or empty). A series shorter
    than `width` is stretched: each value takes several bars."""
    n = len(data)
    if n == 0 or width <= 0:
        return []
    top = max(data)
    peaks = [
        max(data[i * n // width : max((i + 1) * n // width, i * n // width + 1)])
        for i in range(width)
    ]
    if top <= 0:
        return [0.0] * width
    return [max(p, 0.0) / top for p in peaks]


def bar_index(level: float) -> int:
    """The bar for a level 0..1: zero the lowest, anything above it at least the second, so a
    single 5xx in the window is not drawn as none."""
    if level <= 0:
        return 0
    return min(max(math.ceil(level * (len(BARS) - 1)), 1), len(BARS) - 1)


class ZeroBased:
    """One line of bars, zero-based, coloured from `min_color` (zero) to `max_color` (top)."""

    def __init__(self, data: Sequence[float], width: int, min_color: Color, max_color: Color):
        self.data = data
        self.width = width
        self.min_color = min_color
        self.max_color = max_color

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RichRenderResult:
        width = self.width or options.max_width
        levels = bar_levels(self.data, width)
        if not levels:
            yield Segment(BARS[0] * width, Style(color=self.min_color))
            return
        low, high = self.min_color.get_truecolor(), self.max_color.get_truecolor()
        for level in levels:
            mixed = tuple(round(a + (b - a) * level) for a, b in zip(low, high, strict=True))
            bar = BARS[bar_index(level)]
            yield Segment(bar, Style(color=Color.from_rgb(*mixed)))


class ZeroSparkline(Sparkline):
    """Textual's widget (data, CSS colours) drawn zero-based, one line high."""

    def render(self) -> RenderResult:
        textual_own = super().render()  # for the colours its CSS component classes give
        if not isinstance(textual_own, SparklineRenderable):
            return textual_own
        low, high = textual_own.min_color.color, textual_own.max_color.color
        if low is None or high is None:
            return textual_own
        return ZeroBased(list(self.data or ()), self.size.width, low, high)
