"""`a`: active alerts and their history, from the alerts engine when one is running."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from logwatch.tui.render import fmt_clock, safe
from logwatch.tui.state import ViewState
from logwatch.tui.widgets.header import StatusLine, alert_text
from logwatch.tui.widgets.table import Col, KeyedTable, Row


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


class AlertTable(KeyedTable):
    COLUMNS: ClassVar = (
        Col("time", "Time", 8),
        Col("state", "State", 9),
        Col("alert", "Alert", 20, flex=True),
    )


def alert_rows(items: list[Any], vs: ViewState | None) -> list[Row]:
    tz = vs.tz if vs else None
    rows = []
    for i, item in enumerate(reversed(items)):
        ts = _get(item, "at", "ts", "time", "since")
        state = _get(item, "state", "status", "kind") or ""
        ts_text = fmt_clock(ts, tz) if isinstance(ts, (int, float)) else ""
        key = f"{ts}|{state}|{alert_text(item)}|{i}"
        rows.append(Row(key, (safe(ts_text), safe(state), safe(alert_text(item)))))
    return rows


class AlertsScreen(Screen[None]):
    BINDINGS: ClassVar = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="alerts-note")
        active = AlertTable(id="alerts-active")
        active.border_title = "Active"
        yield active
        history = AlertTable(id="alerts-history")
        history.border_title = "History"
        yield history
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data(getattr(self.app, "vs", None))

    def on_screen_resume(self) -> None:
        self.refresh_data(getattr(self.app, "vs", None))

    def action_back(self) -> None:
        self.app.pop_screen()

    def refresh_data(self, vs: ViewState | None) -> None:
        app: Any = self.app
        if vs is not None:
            self.query_one(StatusLine).show(vs, app.ingest_rate, len(app.active_alerts))
        note = self.query_one("#alerts-note", Static)
        if not app.alerts_available:
            note.update(
                Text(
                    "No alert engine is running: alert rules come from the config "
                    "([alerts] section).",
                    style="dim",
                )
            )
        else:
            rules = app.alert_rules()
            # By name: an AlertRule's str() is its dataclass repr (every field, the webhook URL
            # and its secret token too), cut at 400 characters inside the first rule.
            names = ", ".join(str(getattr(r, "name", r)) for r in rules)
            note.update(Text(f"{len(rules)} rule(s): " + names[:400], style="dim"))
        self.query_one("#alerts-active", AlertTable).sync(alert_rows(list(app.active_alerts), vs))
        self.query_one("#alerts-history", AlertTable).sync(alert_rows(app.alert_history(), vs))
