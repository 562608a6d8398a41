"""The main screen: header, summary strip, the panels and the filter bar."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input

from logwatch.tui.state import ViewState
from logwatch.tui.widgets.header import AlertBanner, HistoryProgress, StatusLine, SummaryStrip
from logwatch.tui.widgets.panels import (
    BotsPanel,
    ClientsPanel,
    CodesPanel,
    Panel,
    PathsPanel,
    ProbesPanel,
    ReferrersPanel,
    StreamPanel,
)


class MainScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._failed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield AlertBanner(id="banner")
        yield HistoryProgress(id="progress")
        yield SummaryStrip(id="summary")
        yield Input(
            placeholder="filter: status:5xx class:bot path:/api ip:203.0.113. bot:gptbot "
            "probe:yes source:… or free text  (enter applies, escape cancels)",
            id="filter",
        )
        with VerticalScroll(id="body", can_focus=False), Grid(id="panels"):
            yield PathsPanel(id="paths")
            yield CodesPanel(id="codes")
            yield BotsPanel(id="bots")
            yield ProbesPanel(id="probes")
            yield ClientsPanel(id="clients")
            yield ReferrersPanel(id="referrers")
            yield StreamPanel(id="stream")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#banner").display = False
        self.query_one("#progress").display = False
        self.query_one("#paths", Panel).focus()
        vs = getattr(self.app, "vs", None)
        if vs is not None:
            self.refresh_data(vs)

    def on_screen_resume(self) -> None:
        # Hidden screens are not refreshed; catch up as soon as this one shows again.
        vs = getattr(self.app, "vs", None)
        if vs is not None and self.is_mounted:
            self.refresh_data(vs)

    def refresh_data(self, vs: ViewState) -> None:
        app: Any = self.app
        with app.batch_update():
            self.query_one(StatusLine).show(vs, app.ingest_rate, len(app.active_alerts))
            self.query_one(AlertBanner).show(list(app.active_alerts))
            self.query_one(HistoryProgress).show(vs.snapshot.sources)
            self.query_one(SummaryStrip).show(vs)
            for panel in self.query(Panel):
                try:
                    panel.refresh_from(vs)
                except Exception as exc:  # one bad panel must not take the dashboard down
                    self._panel_failed(panel, exc)

    def _panel_failed(self, panel: Panel, exc: Exception) -> None:
        if panel.id in self._failed:
            return
        self._failed.add(panel.id or "")
        self.notify(f"{panel.TITLE}: {exc!r}"[:300], severity="error", markup=False)

    @property
    def focused_panel(self) -> Panel | None:
        focused = self.focused
        return focused if isinstance(focused, Panel) else None

    def action_sort(self) -> None:
        panel = self.focused_panel
        if panel is None:
            return
        if not panel.SORTS:
            self.notify("This panel keeps its own order.", markup=False, timeout=2)
            return
        label = panel.cycle_sort()
        self.notify(f"{panel.TITLE}: sorted by {label}", markup=False, timeout=2)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        self._before_filter = self.focused
        box.value = getattr(self.app, "filter_text", "")
        box.display = True
        box.focus()

    def _close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = False
        target = getattr(self, "_before_filter", None)
        if target is not None and target.is_mounted and target is not box:
            target.focus()
        else:
            self.query_one("#paths", Panel).focus()

    @on(Input.Submitted, "#filter")
    def _submit_filter(self, event: Input.Submitted) -> None:
        if self.app.set_filter(event.value):  # type: ignore[attr-defined]
            self._close_filter()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            self._close_filter()
            return
        app: Any = self.app
        if app.filter_text:
            app.set_filter("")
