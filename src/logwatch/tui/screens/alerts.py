"""`a`: where each alert rule stands, the active alerts and their history, from the alerts
engine when one is running."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from logwatch.alerts.rules import fmt_value
from logwatch.tui.render import fmt_clock, num, safe
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


class RuleTable(KeyedTable):
    COLUMNS: ClassVar = (
        Col("rule", "Rule", 18),
        Col("state", "State", 9),
        Col("now", "Now", 9),
        Col("requests", "Requests", 9),
        Col("when", "Fires when", 20, flex=True),
    )


def rule_rows(statuses: list[Any]) -> list[Row]:
    """One row per rule: its state (waiting: too few requests, a window not yet full, no
    baseline yet), its value now against the condition it fires on."""
    rows = []
    for i, st in enumerate(statuses):
        rule = st.rule
        cells = (
            safe(rule.name),
            safe(st.state),
            Text(fmt_value(rule.metric, st.value), justify="right", no_wrap=True, end=""),
            num(st.requests),
            safe(rule.describe()),
        )
        rows.append(Row(f"{i}|{rule.name}", cells))
    return rows


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
        rules = RuleTable(id="alerts-rules")
        rules.border_title = "Rules"
        yield rules
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
        rule_table = self.query_one("#alerts-rules", RuleTable)
        configured = False
        if not app.alerts_available:
            note.update(
                Text(
                    "No alert engine is running: alert rules come from the config "
                    "([alerts] section).",
                    style="dim",
                )
            )
        else:
            statuses = app.alert_status()
            rules = app.alert_rules()
            configured = bool(statuses or rules)
            text = f"{len(rules)} rule(s)" if configured else ""
            if rules and not statuses:
                # An engine without status(): the rules by name. An AlertRule's str() is its
                # dataclass repr (every field, a webhook URL and its secret token too).
                text += ": " + ", ".join(str(getattr(r, "name", r)) for r in rules)[:400]
            note.update(Text(text, style="dim"))
            rule_table.sync(rule_rows(statuses))
        # An engine with no rules (default_alerts = false, or none for the configured windows)
        # watches nothing: the rules table was a bare heading and "no alert is active" read as
        # if something were watching.
        active = self.query_one("#alerts-active", AlertTable)
        history = self.query_one("#alerts-history", AlertTable)
        if configured:
            rule_table.set_empty_text("no state reported for these rules")
            active.set_empty_text("no alert is active")
            history.set_empty_text("no alert has fired or cleared since start")
        else:
            for table in (rule_table, active, history):
                table.set_empty_text("no alert rules configured")
        active.sync(alert_rows(list(app.active_alerts), vs))
        history.sync(alert_rows(app.alert_history(), vs))
