"""Drill-down screens: a path, a client, a bot, a status code.

Each refresh recomputes the figures from the newest snapshot (drilldata.py) and syncs keyed tables,
so the cursor stays on its row while new requests arrive. Enter on a row drills further; escape
goes back.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from logwatch.sanitize import clean
from logwatch.tui.drilldata import BUILDERS, Cell, Clock, DrillData, Section
from logwatch.tui.render import fmt_clock, num, safe
from logwatch.tui.state import ViewState
from logwatch.tui.widgets.header import StatusLine
from logwatch.tui.widgets.panels import StreamPanel
from logwatch.tui.widgets.table import Col, KeyedTable, Row


class SectionTable(KeyedTable):
    """A drill-down table whose columns come from the data."""

    def __init__(self, section: Section) -> None:
        self.COLUMNS = tuple(  # type: ignore[misc]
            Col(f"c{i}", label, width, flex)
            for i, (label, width, flex) in enumerate(section.columns)
        )
        self.DRILL = section.drill  # type: ignore[misc]
        self.TITLE = section.title  # type: ignore[misc]
        super().__init__(id=f"sec-{section.id}", classes="section")


class RecentTable(StreamPanel):
    TITLE = "Recent requests"


def cell(value: Cell, vs: ViewState) -> Text:
    if isinstance(value, Clock):
        return safe(fmt_clock(value, vs.tz))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return num(value)
    if value is None:
        return num(None)
    return safe(value)


class DrillScreen(Screen[None]):
    """One drill-down; `kind` is path/client/bot/status and `key` the value chosen."""

    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(classes=f"drill drill-{kind}")
        self.kind = kind
        self.key = key
        self.data: DrillData | None = None
        self._built = False

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="drill-info")
        with VerticalScroll(id="drill-body", can_focus=False):
            yield Grid(id="drill-sections")
        yield Footer()

    def on_mount(self) -> None:
        vs = getattr(self.app, "vs", None)
        if vs is not None:
            self.refresh_data(vs)

    def on_screen_resume(self) -> None:
        vs = getattr(self.app, "vs", None)
        if vs is not None and self._built:
            self.refresh_data(vs)

    def action_back(self) -> None:
        self.app.pop_screen()

    def refresh_data(self, vs: ViewState) -> None:
        data = BUILDERS[self.kind](vs.snapshot, vs.window, self.key)
        self.data = data
        app = self.app
        self.query_one(StatusLine).show(
            vs, getattr(app, "ingest_rate", None), len(getattr(app, "active_alerts", ()))
        )
        info = Text(no_wrap=False, end="")
        # Log text: appended as plain text, never parsed, and cleaned again like every cell
        # (render.safe), for a Record that skipped ingestion.
        info.append(clean(data.title), style="bold")
        info.append(f"   window {vs.window}, {data.matched} recent requests\n", style="dim")
        # Labels right-aligned to the longest, so every value starts in one column
        # ("window 5m (human)" is longer than the 14 characters they had).
        width = max((len(label) for label, _ in data.info), default=0)
        for label, value in data.info:
            info.append(f"{label:>{width}}  ", style="bold")
            info.append(clean(value))
            info.append("\n")
        info.rstrip()
        self.query_one("#drill-info", Static).update(info)
        grid = self.query_one("#drill-sections", Grid)
        if not self._built:
            self._built = True
            widgets: list[KeyedTable] = []
            for section in data.sections:
                if section.records is not None:
                    widgets.append(RecentTable(id=f"sec-{section.id}", classes="section recent"))
                else:
                    widgets.append(SectionTable(section))
            grid.mount_all(widgets)
            self.call_after_refresh(self._fill, vs)
            # Start on the first table that Enter drills into (not "statuses over time").
            first = next((w for w, s in zip(widgets, data.sections, strict=True) if s.drill), None)
            if first is not None:
                self.call_after_refresh(first.focus)
            return
        self._fill(vs)

    def _fill(self, vs: ViewState) -> None:
        if self.data is None:
            return
        for section in self.data.sections:
            try:
                table = self.query_one(f"#sec-{section.id}", KeyedTable)
            except Exception:
                continue
            if section.records is not None and isinstance(table, StreamPanel):
                table.sync(table.rows_for(section.records, vs))
            else:
                table.sync(
                    [Row(k, tuple(cell(v, vs) for v in values)) for k, values in section.rows]
                )
            # A list cut to its limit says so ("30 of 46"): the bare count read as all of them.
            table.border_subtitle = section.count_label
            table.set_empty_text("none among the recent requests")
